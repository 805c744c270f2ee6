import 'reflect-metadata'

export { Errno, FsError, errnoName, mapErrno, orThrow, type ErrnoName } from './errno.js'
export { Timespec, OpenFlags, XattrFlags, FileType, AccessMode, type Stat, type StatVfs, type DirEntry } from './types.js'
export { CallerContext, type RequestContext } from './request-context.js'
export { MAY_READ, MAY_WRITE, MAY_EXEC, callerIsRoot, ownsOrRoot, permits, inGroup, type Owned } from './posix/access.js'
export { S_ISUID, S_ISGID, setIdBitsClearedByWrite, setIdBitsClearedByChown, setIdBitsClearedBySetattr } from './posix/set-id-bits.js'
export type { Operations, RequestName } from './operations.js'
export {
  ROOT_INO,
  SetattrValid,
  FallocateMode,
  SeekWhence,
  RenameFlags,
  type InodeOperations,
  type InodeRequestName,
  type Entry,
  type Created,
  type SetattrRequest,
  type InodeDirEntry,
  type InodeListing,
  type MaybePromise,
} from './inode-operations.js'
export { EncodedListing, ListingReader } from './encoded-listing.js'
export { isListingWriter, writtenEntries, type ListingWriter } from './listing-writer.js'
export { splitSeconds, writeU64 } from './lowlevel/protocol.js'
export {
  BACKEND_API_VERSION,
  apiVersionProblem,
  backendMountOptions,
  defineBackend,
  isBackendDescriptor,
  letsOthersIn,
  type BackendDescriptor,
  type BackendContext,
  type BackendLayer,
  type PathBackendDescriptor,
  type InodeBackendDescriptor,
} from './backend.js'
export { bridgePathOperations } from './bridges/path-bridge.js'
export { pathsOverInodes } from './bridges/inode-paths.js'
export { defaultMountOptions, resolveMountOptions, fuseOptionList, libfuseOnlyOptions, type MountOptions } from './mount-options.js'
export { createConsoleLogger, type Logger, type LogLevel, type ConsoleLoggerOptions } from './logger.js'
export type { FuseDriver, DriverMount, DriverMountRequest, RequestHandler, InodeHandler, PathHandler, Reply } from './driver.js'
export { FuseNativeDriver } from './fuse-native/driver.js'
export { LowLevelDriver } from './lowlevel/lowlevel-driver.js'
export { RequestDispatcher } from './request-dispatcher.js'
export { hotLoopMode, type HotLoopMode } from './hot-loop.js'
export { createBackendOperations, mount, parseBackendOptions, type CreatedBackend, type Mount, type MountRequest } from './mount.js'
export { mountState, mountedType, assertMountable, forceUnmount, type MountState } from './mount-state.js'
export { BACKEND_OPTIONS, DIRECTORY_REMOVALS, FUSE_DRIVER, LOGGER, MOUNT_OPTIONS, MOUNTPOINT, OPERATIONS, RESIDENT_DATA } from './tokens.js'
export type { ResidentData } from './resident-data.js'
export type { AttributeView, DirectoryRemovals } from './directory-removals.js'
export { allocateRetained, dropPages, releaseRetained } from './retained-memory.js'
export { missingFuseParts, type MissingFusePart } from './fuse-environment.js'
