import { execFile } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const E2E_DIR = fileURLToPath(new URL('..', import.meta.url))

export interface PackedPackage {
  name: string
  version: string
  /** Its directory in the workspace. */
  dir: string
  tarball: string
  /** The tarball's entries, without tar's leading `package/`. */
  files: string[]
  /** package.json as packed: pnpm turns workspace: ranges into versions. */
  manifest: Manifest
}

export interface Manifest {
  name: string
  version: string
  bin?: Record<string, string>
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  scripts?: Record<string, string>
}

/**
 * The packages under test: every devDependency of this package with a workspace: range. One
 * line in package.json adds a package, and being a dependency makes turbo build it before these
 * tests run.
 */
function packagesUnderTest(): { name: string; dir: string }[] {
  const { devDependencies } = JSON.parse(readFileSync(join(E2E_DIR, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
  return Object.entries(devDependencies)
    .filter(([, range]) => range.startsWith('workspace:'))
    .map(([name]) => ({ name, dir: realpathSync(join(E2E_DIR, 'node_modules', name)) }))
}

/** `pnpm pack` of every package under test into `dest`, all at once. */
export function packAll(dest: string): Promise<PackedPackage[]> {
  return Promise.all(
    packagesUnderTest().map(async ({ name, dir }) => {
      const { stdout } = await run('pnpm', ['pack', '--json', '--pack-destination', dest], { cwd: dir })
      const { version, filename } = JSON.parse(stdout) as { version: string; filename: string }
      const listing = await run('tar', ['tzf', filename])
      const files = listing.stdout.trim().split('\n').map((entry) => entry.replace(/^package\//, ''))
      const manifest = JSON.parse((await run('tar', ['xzOf', filename, 'package/package.json'])).stdout) as Manifest
      return { name, version, dir, tarball: filename, files, manifest }
    }),
  )
}

/** The addons of a package, from the binding.gyp in its workspace directory (none without one). */
export function bindingTargets(pkg: PackedPackage): { target_name: string; sources: string[] }[] {
  const file = join(pkg.dir, 'binding.gyp')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { targets: { target_name: string; sources: string[] }[] }).targets : []
}
