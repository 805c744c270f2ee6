import { builtinBackends } from './backends/builtin.js'
import { cliPackageDir, findPackage, nodeModulesDirs, readManifest, searchRoots } from './backends/packages.js'

/** The fusekit packages `fusekit --version` reports after the CLI, when installed. */
const REPORTED_PACKAGES = ['@fusekit/core', '@fusekit/native-addon', ...Object.values(builtinBackends), '@fusekit/testkit']

/**
 * `fusekit --version`: one `<package> <version>` line per fusekit package, the CLI's first, each
 * found where the CLI loads it from (its own node_modules first, then the working directory's;
 * core's dependencies beside core).
 */
export function versionLines(cwd: string): string[] {
  const roots = searchRoots(cwd, 'cli-first')
  const core = findPackage('@fusekit/core', roots)
  if (core) roots.push(...nodeModulesDirs(core.dir))
  const found = REPORTED_PACKAGES.flatMap((name) => {
    const version = findPackage(name, roots)?.manifest.version
    return version ? [`${name} ${version}`] : []
  })
  return [`@fusekit/cli ${readManifest(cliPackageDir)?.version ?? 'unknown'}`, ...found]
}
