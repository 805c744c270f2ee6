import { spawnSync } from 'node:child_process'
import { readBinding } from './binding.js'
import { loadAddon } from './load-addon.js'
import { packageName } from './package-name.js'

/**
 * The install script's work in an installed package: nothing when every addon its binding.gyp
 * declares loads here (the prebuilt ones do on their platform), else `node-gyp rebuild`, which
 * npm and pnpm put on the PATH of install scripts. Returns the exit code.
 */
export function installAddons(packageDir: string): number {
  const unloadable = readBinding(packageDir).targets.map((target) => target.target_name).filter((name) => !loads(packageDir, name))
  if (unloadable.length === 0) return 0
  const name = packageName(packageDir)
  console.error(`${name}: no prebuilt ${unloadable.join(', ')} loads on ${process.platform}-${process.arch}: building from source with node-gyp (needs python3, make and a C compiler)`)
  const build = spawnSync('node-gyp', ['rebuild'], { cwd: packageDir, stdio: 'inherit' })
  if (build.error) {
    console.error(`${name}: cannot run node-gyp (${build.error.message}): install it with npm install -g node-gyp, then run node-gyp rebuild in ${packageDir}`)
    return 1
  }
  return build.status ?? 1
}

function loads(packageDir: string, name: string): boolean {
  try {
    loadAddon(packageDir, name)
    return true
  } catch {
    return false
  }
}
