import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const FIXTURE = fileURLToPath(new URL('./fixtures/hello-addon', import.meta.url))
const NATIVE_ADDON = fileURLToPath(new URL('..', import.meta.url))
const BUILD_ADDONS = fileURLToPath(new URL('../../../scripts/build-addons.mjs', import.meta.url))
const PREBUILD = join('prebuilds', `${process.platform}-${process.arch}`, 'hello.node')

const temps: string[] = []

/** Removes every package addonPackage() made (the test files' afterAll). */
export function removeAddonPackages(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** The workspace build of a package's addons (scripts/build-addons.mjs) run in `dir`. */
export function buildAddons(dir: string): void {
  execFileSync(process.execPath, [BUILD_ADDONS], { cwd: dir, stdio: 'pipe' })
}

/**
 * A copy of the hello-addon fixture (binding.gyp with one addon, `hello`, and the install script)
 * in a fresh temporary directory, with this package installed where Node finds it from there:
 * installed (inside a node_modules directory) or a checkout; built (its prebuild in place) or not.
 */
export function addonPackage(options: { installed: boolean; built: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'fusekit-native-addon-'))
  temps.push(root)
  const dir = options.installed ? join(root, 'node_modules', 'hello-addon') : join(root, 'hello-addon')
  mkdirSync(dir, { recursive: true })
  cpSync(FIXTURE, dir, { recursive: true })
  mkdirSync(join(root, 'node_modules', '@fusekit'), { recursive: true })
  symlinkSync(NATIVE_ADDON, join(root, 'node_modules', '@fusekit', 'native-addon'))
  if (options.built) buildAddons(dir)
  return dir
}

/** Where the fixture's prebuilt addon is, relative to its package directory. */
export const prebuiltHello = PREBUILD
