import { readFileSync } from 'node:fs'
import { basename, join } from 'node:path'

/** The name in a package directory's package.json, or the directory's own name when it has none. */
export function packageName(packageDir: string): string {
  try {
    const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { name?: string }
    return name ?? basename(packageDir)
  } catch {
    return basename(packageDir)
  }
}
