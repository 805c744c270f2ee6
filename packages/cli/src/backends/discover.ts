import { builtinBackends } from './builtin.js'
import { backendNameOf, PACKAGE_PREFIX } from './names.js'
import { findPackage, listPackages, packageEntry, readManifest, searchRoots } from './packages.js'
import { join } from 'node:path'

export interface InstalledBackend {
  /** The name to give `fusekit mount`. */
  name: string
  packageName: string
  version: string
  description: string
  builtin: boolean
  dir: string
  /** The module an import of the package loads. */
  file: string
}

/**
 * Backends installed where the CLI can load them: the built-ins, then packages named
 * `fusekit-backend-<name>` or `@scope/fusekit-backend-<name>` in the node_modules directories
 * of the working directory and of the CLI itself. Read from package.json only: nothing is loaded.
 */
export function installedBackends(cwd: string): InstalledBackend[] {
  const found = new Map<string, InstalledBackend>()
  const add = (packageName: string, dir: string, builtin: boolean) => {
    if (found.has(packageName)) return
    const manifest = readManifest(dir)
    if (!manifest) return
    found.set(packageName, {
      name: backendNameOf(packageName),
      packageName,
      version: manifest.version ?? '?',
      description: manifest.description ?? '',
      builtin,
      dir,
      file: packageEntry(dir, manifest),
    })
  }
  for (const packageName of Object.values(builtinBackends)) {
    const pkg = findPackage(packageName, searchRoots(cwd, 'cli-first'))
    if (pkg) add(packageName, pkg.dir, true)
  }
  const isBackend = (unscoped: string) => unscoped.startsWith(PACKAGE_PREFIX) && unscoped.length > PACKAGE_PREFIX.length
  for (const modules of searchRoots(cwd)) {
    for (const packageName of listPackages(modules, isBackend)) add(packageName, join(modules, packageName), false)
  }
  return [...found.values()]
}
