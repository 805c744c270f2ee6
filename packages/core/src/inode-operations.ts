import type { FsError } from './errno.js'
import type { RequestContext } from './request-context.js'
import type { Stat, StatVfs, Timespec } from './types.js'

/** A result, or a Promise of it. */
export type MaybePromise<T> = T | Promise<T>

/** The node id of the mount's root directory. */
export const ROOT_INO = 1

/**
 * A name resolved to a node: what lookup and every call that makes a name (mknod, mkdir,
 * symlink, link, create, READDIRPLUS entries) answer. Each Entry handed out counts one lookup
 * of `ino`, which the kernel gives back with `forget`.
 */
export interface Entry {
  /**
   * The node id the kernel uses for this inode from now on: the `ino` of later calls. Unique
   * while the kernel holds it; every name of one inode (hard links) has the same id.
   */
  ino: number
  /** Its attributes; `attr.ino` is what st_ino shows, which may differ from the node id. */
  attr: Stat
  /** Only when node ids are reused: tells an old file from a new one with the same id. */
  generation?: number
}

/** An Entry opened by create, with its file handle. */
export interface Created extends Entry {
  fh: number
}

/** Which fields of a SetattrRequest are set (the kernel's FATTR_* bits). */
export const SetattrValid = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  /** The change came through an open handle (fchmod, ftruncate, futimens): `fh` is set. */
  FH: 1 << 6,
  /** Set with ATIME when the caller asked for "now" (UTIME_NOW); `atime` holds the time. */
  ATIME_NOW: 1 << 7,
  /** Set with MTIME when the caller asked for "now" (UTIME_NOW); `mtime` holds the time. */
  MTIME_NOW: 1 << 8,
  CTIME: 1 << 10,
} as const

/** A setattr request: chmod, chown, truncate, utimens, or several at once (one syscall). */
export interface SetattrRequest {
  /** SetattrValid bits: only the fields named here are to change. */
  valid: number
  /** Permission bits (and S_ISUID/S_ISGID/S_ISVTX); no file type. */
  mode: number
  uid: number
  gid: number
  size: number
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
  fh?: number
}

/** fallocate(2) modes the kernel passes on. */
export const FallocateMode = {
  /** Allocate without changing the size. */
  KEEP_SIZE: 0x01,
  /** Free the range (always with KEEP_SIZE); it reads as zeros. */
  PUNCH_HOLE: 0x02,
  /** Make the range read as zeros, allocated. */
  ZERO_RANGE: 0x10,
} as const

/** lseek(2) whence values the kernel asks the filesystem about. */
export const SeekWhence = {
  SEEK_DATA: 3,
  SEEK_HOLE: 4,
} as const

/** renameat2(2) flags. */
export const RenameFlags = {
  NOREPLACE: 1 << 0,
  EXCHANGE: 1 << 1,
  WHITEOUT: 1 << 2,
} as const

/** One directory entry of an inode-layer listing. */
export interface InodeDirEntry {
  name: string
  /** What d_ino shows (the entry's st_ino). */
  ino: number
  /** The S_IFMT bits of its mode. */
  type: number
  /**
   * For READDIRPLUS (`withStats`): the entry as lookup would answer it, sparing the kernel a
   * LOOKUP. Counts one lookup once sent (the driver forgets those it drew but could not send).
   * Never for "." and "..", which the kernel does not look up.
   */
  entry?: Entry
}

/**
 * What an inode-layer `readdir` returns: its entries from the offset asked for. The driver reads
 * it to its end whichever kind of read the kernel sends next, so one listing is one snapshot of
 * the order; entries with stats that go out without them are forgotten again.
 */
export interface InodeListing extends Iterable<InodeDirEntry> {
  /**
   * Optional, for a listing made with stats: its entries from `offset` on (the number before
   * them, as for readdir) without stats, in the same order, when the backend has them cheaper (an
   * EncodedListing's bytes); undefined to go on with this one. Asked when the kernel goes on
   * without stats (plain READDIR past a large directory's first READDIRPLUS buffer).
   */
  withoutStats?(offset: number): Iterable<InodeDirEntry> | undefined
}

/**
 * The inode layer: libfuse's lowlevel API (fuse_lowlevel.h), or python-llfuse's. Each operation
 * answers with its result or a Promise of it: a backend that answers at once (memory) returns the
 * value itself (or throws), which the low-level driver sends in the same turn, without a Promise.
 * The low-level driver speaks it directly; the path `Operations` are a bridge over it.
 *
 * - Nodes are numbers (`ino`): ROOT_INO for the root, the rest as lookup handed them out. A node
 *   lives while the kernel holds lookups of it (see Entry and forget), whatever its names.
 * - Every request gets the caller's context first (RequestContext).
 * - Fail by throwing `FsError(errno)`; anything else thrown is answered with EIO and logged.
 *   lookup and getxattr may return their FsError instead, for the negative answers they give
 *   all the time (ENOENT before every create, ENODATA before every write): V8 makes a message
 *   object for every throw, ~4 µs when the driver's native callback is below it.
 * - Handles (`fh`) are numbers open/create/opendir return; 0 means "none".
 * - Buffers passed in (write, setxattr) are valid only until the operation answers.
 * - Only lookup and getattr are required. A missing operation gets the kernel's default: ENOSYS
 *   for most, success for flush/fsync/release/opendir/releasedir/forget, EOPNOTSUPP for xattrs,
 *   mknod + open for create, and the generic page-cache behaviour for fallocate, lseek and
 *   copy_file_range.
 */
export interface InodeOperations {
  /** Called once after the kernel connected, before the first request. */
  init?(): Promise<void>
  /** Called once when the mount goes away; the kernel's remaining lookups are implied forgotten. */
  destroy?(): Promise<void>

  /** Resolves `name` in the directory `parent`; ENOENT when there is none. */
  lookup(ctx: RequestContext, parent: number, name: string): MaybePromise<Entry | FsError>
  /** The kernel dropped `nlookup` lookups of `ino`; at zero it will not name the node again. */
  forget?(ino: number, nlookup: number): void
  /** `fh` is the handle the request came through (fstat), when there is one. */
  getattr(ctx: RequestContext, ino: number, fh?: number): MaybePromise<Stat>
  /** Applies the fields `request.valid` names; answers the attributes afterwards. */
  setattr?(ctx: RequestContext, ino: number, request: SetattrRequest): MaybePromise<Stat>
  access?(ctx: RequestContext, ino: number, mask: number): MaybePromise<void>
  statfs?(ctx: RequestContext, ino: number): MaybePromise<StatVfs>

  readlink?(ctx: RequestContext, ino: number): MaybePromise<string>
  /** `mode` carries the file type; the caller's umask is already applied. */
  mknod?(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): MaybePromise<Entry>
  mkdir?(ctx: RequestContext, parent: number, name: string, mode: number): MaybePromise<Entry>
  symlink?(ctx: RequestContext, target: string, parent: number, name: string): MaybePromise<Entry>
  link?(ctx: RequestContext, ino: number, newParent: number, newName: string): MaybePromise<Entry>
  unlink?(ctx: RequestContext, parent: number, name: string): MaybePromise<void>
  rmdir?(ctx: RequestContext, parent: number, name: string): MaybePromise<void>
  /** `flags`: RenameFlags (0 for plain rename(2)). */
  rename?(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): MaybePromise<void>

  /** Opens a file; `flags` are open(2)'s (O_CREAT, O_EXCL and O_NOCTTY already handled by the kernel). */
  open?(ctx: RequestContext, ino: number, flags: number): MaybePromise<number | void>
  /** Creates and opens a regular file; `mode` is S_IFREG with the umask applied. */
  create?(ctx: RequestContext, parent: number, name: string, mode: number, flags: number): MaybePromise<Created>
  /** Reads up to `buffer.length` bytes at `position` into `buffer`; returns the count (0 at EOF). */
  read?(ctx: RequestContext, ino: number, fh: number, buffer: Buffer, position: number): MaybePromise<number>
  /**
   * Reads up to `size` bytes at `position` as slices of the backend's own memory, in order (fewer
   * at the end of the file, none past it). The low-level driver writes them to the kernel as they
   * are, with no copy into a reply buffer, as soon as they are returned (or the promise settles),
   * and keeps none: the backend may change them after that. Only that driver calls it (not over
   * io_uring); everywhere else `read` serves, and must answer the same bytes.
   */
  readSlices?(ctx: RequestContext, ino: number, fh: number, position: number, size: number): MaybePromise<readonly Buffer[]>
  /** Writes `buffer` at `position`; returns the count written. */
  write?(ctx: RequestContext, ino: number, fh: number, buffer: Buffer, position: number): MaybePromise<number>
  /** Called on every close() of a descriptor of the handle. */
  flush?(ctx: RequestContext, ino: number, fh: number): MaybePromise<void>
  /**
   * Optional, with `flush`: whether a close() of a descriptor of this handle needs it, asked once
   * as the handle is opened or created. False spares a request per close (FOPEN_NOFLUSH): where
   * the storage's own close reports nothing (passthrough on a local disk filesystem).
   */
  flushNeeded?(ino: number, fh: number): boolean
  /** Called once, when the last descriptor of the open is closed. */
  release?(ctx: RequestContext, ino: number, fh: number): MaybePromise<void>
  fsync?(ctx: RequestContext, ino: number, fh: number, datasync: boolean): MaybePromise<void>
  /** `mode`: FallocateMode bits (0: allocate and extend). */
  fallocate?(ctx: RequestContext, ino: number, fh: number, mode: number, offset: number, length: number): MaybePromise<void>
  /** SEEK_DATA or SEEK_HOLE (SeekWhence): the resulting offset, or ENXIO past the end. */
  lseek?(ctx: RequestContext, ino: number, fh: number, offset: number, whence: number): MaybePromise<number>
  /** Copies up to `length` bytes between two open files; returns the count copied. */
  copyFileRange?(
    ctx: RequestContext,
    inoIn: number,
    fhIn: number,
    offsetIn: number,
    inoOut: number,
    fhOut: number,
    offsetOut: number,
    length: number,
    flags: number,
  ): MaybePromise<number>

  opendir?(ctx: RequestContext, ino: number, flags: number): MaybePromise<number | void>
  /**
   * Lists a directory from `offset`: the number of entries already read ("." and ".." count).
   * Entries can be produced lazily (a generator): the driver takes what fits in the kernel's
   * buffer and continues the same iterator when the next read starts where it stopped, with or
   * without stats (see InodeListing); only a read from elsewhere (seekdir) asks again. A
   * ListingWriter writes its entries into the low-level driver's replies itself: a backend that
   * keeps a large directory's names as an EncodedListing answers a listing without stats with
   * `listing.from(offset)` (the driver copies its bytes); passthrough writes getdents64's entries
   * and their stats from native code.
   */
  readdir?(ctx: RequestContext, ino: number, fh: number, offset: number, withStats: boolean): MaybePromise<InodeListing>
  releasedir?(ctx: RequestContext, ino: number, fh: number): MaybePromise<void>
  fsyncdir?(ctx: RequestContext, ino: number, fh: number, datasync: boolean): MaybePromise<void>

  /** `flags` is 0, XATTR_CREATE or XATTR_REPLACE. */
  setxattr?(ctx: RequestContext, ino: number, name: string, value: Buffer, flags: number): MaybePromise<void>
  /** The value; ENODATA when it is not set. */
  getxattr?(ctx: RequestContext, ino: number, name: string): MaybePromise<Buffer | FsError>
  listxattr?(ctx: RequestContext, ino: number): MaybePromise<string[]>
  removexattr?(ctx: RequestContext, ino: number, name: string): MaybePromise<void>

  /**
   * The real file descriptor behind an open handle, if reads and writes of the handle are plain
   * positional I/O on it: the low-level driver then reads and writes it without the backend (the
   * kernel itself through FUSE passthrough, or the driver's addon with pread/pwrite). Called right
   * after open/create; the descriptor must stay open until the handle's release.
   */
  backingFd?(fh: number): number | undefined
}

/** Inode-layer operations that answer kernel requests (not the lifecycle hooks, forget or the queries backingFd and flushNeeded). */
export type InodeRequestName = Exclude<keyof InodeOperations, 'init' | 'destroy' | 'forget' | 'backingFd' | 'flushNeeded'>
