import type { Capability } from './cases/index.js'

/** The drivers a mount can use (`fusekit mount --driver`). */
export type Driver = 'lowlevel' | 'fuse-native'

/**
 * What each driver cannot carry, whatever the backend can do: libfuse 2's high-level API, under
 * fuse-native, passes no caller, keeps milliseconds, hides unlinked open files, gives each name
 * of a hard-linked file its own kernel inode, and has no fallocate, lseek, copy_file_range or
 * rename flags (docs/architecture.md, "Limits of fuse-native").
 */
export const driverLimits: Readonly<Record<Driver, readonly Capability[]>> = {
  lowlevel: [],
  'fuse-native': ['callerIdentity', 'unlinkedOpenFiles', 'nanosecondTimes', 'coherentLinks', 'fallocate', 'zeroRange', 'seekHoles', 'copyFileRange', 'renameFlags'],
}
