import { cliPackageDir, findPackage, nodeModulesDirs, readManifest } from './backends/packages.js'

/** `fusekit 0.1.0 (@fusekit/core 0.1.0)` */
export function versionLine(): string {
  const cli = readManifest(cliPackageDir)?.version ?? 'unknown'
  const core = findPackage('@fusekit/core', nodeModulesDirs(cliPackageDir))?.manifest.version
  return `fusekit ${cli}${core ? ` (@fusekit/core ${core})` : ''}`
}
