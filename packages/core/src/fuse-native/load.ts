import { createRequire } from 'node:module'
import { constants } from 'node:os'
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
 * Loads fuse-native, turning a missing libfuse into a message that says what to install. The
 * shim (native/fuse-native-shim.c) is loaded first, with RTLD_GLOBAL, so that fuse-native's call
 * to libfuse's fuse_new goes through it.
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
    const detail = error instanceof Error ? error.message : String(error)
    if (/libfuse\.so/.test(detail)) throw new FsError('ENODEV', `libfuse 2 is missing (${INSTALL_HINT})`, { cause: error })
    throw new FsError('ENODEV', `cannot load fuse-native: ${detail}`, { cause: error })
  }
}
