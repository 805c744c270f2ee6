import { realpathSync } from 'node:fs'
import { cliPackageDir, findPackage, nodeModulesDirs } from './packages.js'

const CORE = '@fusekit/core'

/**
 * A warning when a plugin at `pluginDir` would import another copy of @fusekit/core than the
 * CLI's: its FsError is then another class (its errors are answered EIO) and its DI tokens are
 * other symbols (it finds nothing the mount registered). Undefined when it uses the CLI's copy or
 * none can be found from it (a module that imports the core by path, say).
 */
export function coreCopyWarning(pluginDir: string, backend: string): string | undefined {
  const own = installedCore(pluginDir)
  const cli = installedCore(cliPackageDir)
  if (!own || !cli || own.dir === cli.dir) return undefined
  const copy = own.version === cli.version ? `a second copy of ${CORE} ${own.version}` : `its own ${CORE} ${own.version}`
  return (
    `backend ${backend} brings ${copy} (${own.dir}) while fusekit uses ${cli.version} (${cli.dir}): ` +
    `FsError and the DI tokens differ between the copies, so its errors may be answered EIO; ` +
    `it should list ${CORE} as a peerDependency`
  )
}

/** The @fusekit/core an import from `dir` resolves to, by its real path. */
function installedCore(dir: string): { dir: string; version: string } | undefined {
  const pkg = findPackage(CORE, nodeModulesDirs(dir))
  if (!pkg) return undefined
  return { dir: realpathSync(pkg.dir), version: pkg.manifest.version ?? '?' }
}
