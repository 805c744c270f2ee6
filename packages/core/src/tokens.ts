import type { InjectionToken } from 'tsyringe'
import type { InodeOperations } from './inode-operations.js'
import type { Operations } from './operations.js'
import type { MountOptions } from './mount-options.js'
import type { Logger } from './logger.js'
import type { FuseDriver } from './driver.js'
import type { ResidentData } from './resident-data.js'
import type { DirectoryRemovals } from './directory-removals.js'

/** Dependency-injection tokens of a mount's child container. */
export const MOUNT_OPTIONS: InjectionToken<MountOptions> = Symbol('fusekit.MountOptions')
export const MOUNTPOINT: InjectionToken<string> = Symbol('fusekit.Mountpoint')
export const BACKEND_OPTIONS: InjectionToken<unknown> = Symbol('fusekit.BackendOptions')
export const LOGGER: InjectionToken<Logger> = Symbol('fusekit.Logger')
/** The backend's own operations, of its layer. */
export const OPERATIONS: InjectionToken<Operations | InodeOperations> = Symbol('fusekit.Operations')
export const FUSE_DRIVER: InjectionToken<FuseDriver> = Symbol('fusekit.FuseDriver')
/** Bytes of open files the backend holds, answered from by the driver (BackendContext.residentData). */
export const RESIDENT_DATA: InjectionToken<ResidentData> = Symbol('fusekit.ResidentData')
/** Directories whose names the driver removes itself (BackendContext.directoryRemovals). */
export const DIRECTORY_REMOVALS: InjectionToken<DirectoryRemovals> = Symbol('fusekit.DirectoryRemovals')
