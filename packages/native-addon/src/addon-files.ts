import { join } from 'node:path'

/** Where a package keeps its prebuilt addons for this platform: prebuilds/<platform>-<arch>, e.g. prebuilds/linux-x64. */
export function prebuildDir(packageDir: string): string {
  return join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`)
}

/** The files addon `name` may be loaded from, in the order tried: the prebuilt one, then node-gyp's build from source. */
export function addonFiles(packageDir: string, name: string): string[] {
  return [join(prebuildDir(packageDir), `${name}.node`), join(packageDir, 'build', 'Release', `${name}.node`)]
}
