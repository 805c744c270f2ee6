import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One addon of a package's binding.gyp: node-gyp builds `<target_name>.node` from `sources`. */
export interface BindingTarget {
  target_name: string
  sources: string[]
  /** Linker flags, such as -ldl. */
  libraries?: string[]
}

/**
 * A package's binding.gyp, which must be plain JSON (gyp reads JSON too): node-gyp builds from it
 * where no prebuilt addon fits, and the workspace build compiles the same sources into the prebuilds.
 */
export function readBinding(packageDir: string): { targets: BindingTarget[] } {
  return JSON.parse(readFileSync(join(packageDir, 'binding.gyp'), 'utf8')) as { targets: BindingTarget[] }
}
