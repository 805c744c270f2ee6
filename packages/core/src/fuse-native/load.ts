import { createRequire } from 'node:module'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'
import { loadAddon } from '@fusekit/native-addon'
import { FsError } from '../errno.js'

export type NativeCallback = (errno: number, ...values: unknown[]) => void

/** The parts of fuse-native's Fuse class that fusekit uses or overrides. */
export interface FuseNativeClass {
  new (mountpoint: string, ops: Record<string, unknown>, opts: Record<string, unknown>): FuseNativeInstance
  unmount(mountpoint: string, cb: (err: Error | null) => void): void
}

export interface FuseNativeInstance {
  ops: Record<string, (...args: unknown[]) => void>
  mount(cb: (err: Error | null) => void): void
  unmount(cb: (err: Error | null) => void): void
}

export const INSTALL_HINT = 'install libfuse 2 and fusermount: apt-get install -y libfuse2 fuse'

let loaded: FuseNativeClass | undefined

// The package root, from src/fuse-native (tests) and dist/fuse-native alike.
const PACKAGE_ROOT = new URL('../../', import.meta.url)

/**
 * Loads fuse-native, turning a missing libfuse or a missing fuse-native package into a message
 * that says what to install. The shim (native/fuse-native-shim.c) is loaded first, with
 * RTLD_GLOBAL, so that fuse-native's call to libfuse's fuse_new goes through it.
 */
export function loadFuseNative(): FuseNativeClass {
  if (loaded) return loaded
  try {
    loadAddon(PACKAGE_ROOT, 'fuse-native-shim', constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL)
  } catch (error) {
    throw new FsError('ENOSYS', `the fuse-native driver cannot start: ${(error as Error).message}`, { cause: error })
  }
  try {
    loaded = createRequire(import.meta.url)('fuse-native') as FuseNativeClass
    return loaded
  } catch (error) {
    throw new FsError('ENODEV', whyNotLoaded(error), { cause: error })
  }
}

/** One line: Node's errors span several (a require stack, node-gyp-build's search). */
function whyNotLoaded(error: unknown): string {
  const detail = error instanceof Error ? error.message : String(error)
  if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && detail.startsWith("Cannot find module 'fuse-native'")) {
    // An optional dependency: npm leaves it out when its install script fails (no libfuse 2 to
    // load its prebuilt binding, no compiler to build one) or optional dependencies are omitted.
    return `the fuse-native driver needs the package fuse-native, which is not installed (an optional dependency of @fusekit/core, left out when it could not be built or with --omit=optional): ${INSTALL_HINT}, then reinstall with \`${reinstallCommand()}\`; the default driver needs neither`
  }
  if (/libfuse\.so/.test(detail)) return `libfuse 2 is missing (${INSTALL_HINT})`
  return `cannot load fuse-native: ${detail.split('\n', 1)[0]} (${INSTALL_HINT}, then reinstall with \`${reinstallCommand()}\`)`
}

/**
 * The install that brings fuse-native back where this @fusekit/core finds it: npm adds an
 * optional dependency it left out when the install runs again. npm keeps global packages under
 * <prefix>/lib/node_modules, a project's under <project>/node_modules; outside any node_modules,
 * this is fusekit's own pnpm workspace.
 */
function reinstallCommand(): string {
  const coreDir = fileURLToPath(PACKAGE_ROOT).replace(/\/$/, '')
  const owner = coreDir.split('/node_modules/', 1)[0] as string
  if (owner === coreDir) return 'pnpm install'
  return owner.endsWith('/lib') ? 'npm install -g @fusekit/cli' : `cd ${owner} && npm install`
}
