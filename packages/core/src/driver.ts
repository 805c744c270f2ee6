import type { FsError } from './errno.js'
import type { InodeOperations, InodeRequestName } from './inode-operations.js'
import type { Logger } from './logger.js'
import type { MountOptions } from './mount-options.js'
import type { Operations, RequestName } from './operations.js'
import type { MountResidentData } from './resident-data.js'
import type { MountDirectoryRemovals } from './directory-removals.js'

/** Answers a request: errno 0 with the value, or a positive errno. Called exactly once. */
export type Reply<T> = (errno: number, value?: T) => void

type Method<Ops, K extends keyof Ops> = Extract<NonNullable<Ops[K]>, (...args: never[]) => unknown>
export type ArgsOf<Ops, K extends keyof Ops> = Parameters<Method<Ops, K>>
/** What an operation answers on success (an FsError it returns is its failure, as if thrown). */
export type ResultOf<Ops, K extends keyof Ops> = Exclude<Awaited<ReturnType<Method<Ops, K>>>, FsError>

/** What a driver sees of the backend: which requests exist and how to run one. */
export interface RequestHandler<Ops, Name extends keyof Ops> {
  implements(name: Name): boolean
  /**
   * Runs one operation and replies once. Returns the backend's promise when it answers later: it
   * settles when the backend is done with `args` (a reply may go earlier: a timeout, an unmount).
   */
  dispatch<K extends Name>(name: K, args: ArgsOf<Ops, K>, reply: Reply<ResultOf<Ops, K>>): Promise<unknown> | undefined
  /** The kernel dropped lookups of a node (inode layer only; no reply). */
  forget(ino: number, nlookup: number): void
  /** The backend's real descriptor behind an open handle (backingFd), if any. */
  backingFd(fh: number): number | undefined
  /** Whether the backend has backingFd: the I/O of such handles does not come through it. */
  readonly hasBackingFiles: boolean
  /** Whether a close of handle `fh` of node `ino` needs the backend's flush (flushNeeded; true when it does not say). */
  flushNeeded(ino: number, fh: number): boolean
  /** The driver answered requests itself from such descriptors: they count as activity. */
  servedElsewhere(): void
}

/** The inode layer as the low-level driver speaks it. */
export type InodeHandler = RequestHandler<InodeOperations, InodeRequestName>
/** The path layer as fuse-native speaks it. */
export type PathHandler = RequestHandler<Operations, RequestName>

export interface DriverMountRequest<Handler> {
  mountpoint: string
  handler: Handler
  options: MountOptions
  logger: Logger
  /** The backend's ResidentData, for a driver that answers reads from it. */
  resident?: MountResidentData
  /** The backend's DirectoryRemovals, for a driver that removes names itself. */
  removals?: MountDirectoryRemovals
}

export interface DriverMount {
  /** Detaches the filesystem from the kernel; requests in flight get ENOTCONN. */
  unmount(): Promise<void>
  /**
   * Settles when the kernel ended the session without unmount() (`fusermount -u`, an abort).
   * Absent where the driver cannot tell (fuse-native): the mount table is watched instead.
   */
  readonly ended?: Promise<void>
}

/**
 * The binding between the kernel's FUSE protocol and a backend. A driver speaks one layer: the
 * low-level driver the inode layer, fuse-native (libfuse 2's high-level API) the path layer;
 * mount() puts a bridge between a backend and a driver of the other layer.
 */
export type FuseDriver =
  | { readonly layer: 'inode'; mount(request: DriverMountRequest<InodeHandler>): Promise<DriverMount> }
  | { readonly layer: 'path'; mount(request: DriverMountRequest<PathHandler>): Promise<DriverMount> }
