import type { MaybePromise } from './inode-operations.js'
import type { RequestContext } from './request-context.js'
import type { DirEntry, Stat, StatVfs, Timespec } from './types.js'

/**
 * The path layer: the operations of libfuse's high-level API (fuse.h, as in libfuse 3), or
 * fuse-python's, Promise-based (getattr and read may also answer at once, with a value, when the
 * answer is in memory: the reply then goes without a Promise in between). The core bridges it onto the inode layer with a node table of
 * its own, so a backend deals in paths only. Each name is its own node here: hard links made
 * through this layer share an st_ino but are separate inodes to the kernel (use the inode layer
 * when that matters).
 *
 * - Every request gets the caller's context first (RequestContext).
 * - Paths are absolute within the mount ("/", "/dir/file").
 * - Fail by throwing `FsError(errno)`. Anything else thrown is answered with EIO and logged.
 * - File handles (`fh`) are numbers a backend returns from open/create/opendir; 0 means "none".
 *   Calls that may come through an open file (getattr, truncate, chmod, chown, utimens) get its
 *   handle as their last argument when they did (fstat, ftruncate, fchmod, ...): the file may
 *   have no name any more.
 * - Buffers passed to read/write/setxattr point into kernel-request memory and are valid only
 *   until the returned Promise settles: copy what you keep.
 * - Every operation but getattr is optional. A missing one gets the kernel's default: ENOSYS
 *   for most, success for flush/fsync/access/opendir/release, EOPNOTSUPP for the xattr calls,
 *   create falls back to mknod + open, and the generic page-cache behaviour for fallocate,
 *   lseek and copyFileRange.
 */
export interface Operations {
  /** Called once after the kernel connected, before the first request. */
  init?(): Promise<void>
  /** Called once when the mount goes away. */
  destroy?(): Promise<void>

  getattr(ctx: RequestContext, path: string, fh?: number): MaybePromise<Stat>
  access?(ctx: RequestContext, path: string, mode: number): Promise<void>
  statfs?(ctx: RequestContext, path: string): Promise<StatVfs>

  opendir?(ctx: RequestContext, path: string, flags: number): Promise<number | void>
  /**
   * Lists a directory. `withStats`: the driver can hand full stats to the kernel (READDIRPLUS),
   * sparing a lookup per entry afterwards; give `stat` for each entry then, where it is cheap.
   */
  readdir?(ctx: RequestContext, path: string, fh: number, withStats: boolean): Promise<DirEntry[]>
  releasedir?(ctx: RequestContext, path: string, fh: number): Promise<void>
  fsyncdir?(ctx: RequestContext, path: string, datasync: boolean, fh: number): Promise<void>

  open?(ctx: RequestContext, path: string, flags: number): Promise<number | void>
  /** Creates and opens a regular file; `mode` has the umask applied, `flags` are open(2)'s. */
  create?(ctx: RequestContext, path: string, mode: number, flags: number): Promise<number | void>
  /** Reads up to `buffer.length` bytes at `position` into `buffer`; returns the count (0 at EOF). */
  read?(ctx: RequestContext, path: string, fh: number, buffer: Buffer, position: number): MaybePromise<number>
  /** Writes `buffer` at `position`; returns the count written. */
  write?(ctx: RequestContext, path: string, fh: number, buffer: Buffer, position: number): Promise<number>
  /** Called on every close() of a descriptor. */
  flush?(ctx: RequestContext, path: string, fh: number): Promise<void>
  /** Called once when the last descriptor of an open is closed. */
  release?(ctx: RequestContext, path: string, fh: number): Promise<void>
  fsync?(ctx: RequestContext, path: string, datasync: boolean, fh: number): Promise<void>
  /** `mode`: FallocateMode bits (0: allocate and extend). */
  fallocate?(ctx: RequestContext, path: string, fh: number, mode: number, offset: number, length: number): Promise<void>
  /** SEEK_DATA or SEEK_HOLE (SeekWhence): the resulting offset, or ENXIO past the end. */
  lseek?(ctx: RequestContext, path: string, fh: number, offset: number, whence: number): Promise<number>
  /** Copies up to `length` bytes between two open files; returns the count copied. */
  copyFileRange?(
    ctx: RequestContext,
    pathIn: string,
    fhIn: number,
    offsetIn: number,
    pathOut: string,
    fhOut: number,
    offsetOut: number,
    length: number,
    flags: number,
  ): Promise<number>

  truncate?(ctx: RequestContext, path: string, size: number, fh?: number): Promise<void>
  chmod?(ctx: RequestContext, path: string, mode: number, fh?: number): Promise<void>
  /** -1 (0xffffffff) leaves that id unchanged. */
  chown?(ctx: RequestContext, path: string, uid: number, gid: number, fh?: number): Promise<void>
  /** Sets times; `undefined` leaves that time unchanged ("now" arrives already resolved). */
  utimens?(ctx: RequestContext, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, fh?: number): Promise<void>

  /** `mode` carries the file type; the umask is applied. */
  mknod?(ctx: RequestContext, path: string, mode: number, rdev: number): Promise<void>
  mkdir?(ctx: RequestContext, path: string, mode: number): Promise<void>
  rmdir?(ctx: RequestContext, path: string): Promise<void>
  unlink?(ctx: RequestContext, path: string): Promise<void>
  /** `flags`: RenameFlags (0 for plain rename(2)); refuse the ones you do not support with EINVAL. */
  rename?(ctx: RequestContext, from: string, to: string, flags: number): Promise<void>
  link?(ctx: RequestContext, existing: string, newPath: string): Promise<void>
  symlink?(ctx: RequestContext, target: string, linkPath: string): Promise<void>
  readlink?(ctx: RequestContext, path: string): Promise<string>

  /** `flags` is 0, XATTR_CREATE or XATTR_REPLACE. */
  setxattr?(ctx: RequestContext, path: string, name: string, value: Buffer, flags: number): Promise<void>
  /** Returns the value; throw FsError(ENODATA) when it is not set. */
  getxattr?(ctx: RequestContext, path: string, name: string): Promise<Buffer>
  listxattr?(ctx: RequestContext, path: string): Promise<string[]>
  removexattr?(ctx: RequestContext, path: string, name: string): Promise<void>

  /** See InodeOperations.backingFd. */
  backingFd?(fh: number): number | undefined
}

/** Operations that answer kernel requests (init and destroy are lifecycle hooks, backingFd a query). */
export type RequestName = Exclude<keyof Operations, 'init' | 'destroy' | 'backingFd'>
