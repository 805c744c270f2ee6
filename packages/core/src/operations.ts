import type { DirEntry, Stat, StatVfs, Timespec } from './types.js'

/**
 * The contract a backend implements: the operations of libfuse's high-level API, Promise-based.
 *
 * - Paths are absolute within the mount ("/", "/dir/file").
 * - Fail by throwing `FsError(errno)`. Anything else thrown is answered with EIO and logged.
 * - File handles (`fh`) are numbers a backend returns from open/create/opendir; 0 means "none".
 *   They travel as 32-bit values, so keep them below 2^32.
 * - Buffers passed to read/write/setxattr point into kernel-request memory and are valid only
 *   until the returned Promise settles: copy what you keep.
 * - Every operation but getattr is optional. A missing one gets the kernel's default: ENOSYS
 *   for most, success for flush/fsync/access/opendir/release, EOPNOTSUPP for the xattr calls,
 *   create falls back to mknod + open, ftruncate to truncate, fgetattr to getattr.
 */
export interface Operations {
  /** Called once after the kernel connected, before the first request. */
  init?(): Promise<void>
  /** Called once when the mount goes away. */
  destroy?(): Promise<void>

  getattr(path: string): Promise<Stat>
  fgetattr?(path: string, fh: number): Promise<Stat>
  access?(path: string, mode: number): Promise<void>
  statfs?(path: string): Promise<StatVfs>

  opendir?(path: string, flags: number): Promise<number | void>
  /**
   * Lists a directory. `withStats`: the driver can hand full stats to the kernel (READDIRPLUS),
   * sparing a lookup per entry afterwards; give `stat` for each entry then, where it is cheap.
   */
  readdir?(path: string, fh: number, withStats: boolean): Promise<DirEntry[]>
  releasedir?(path: string, fh: number): Promise<void>
  fsyncdir?(path: string, datasync: boolean, fh: number): Promise<void>

  open?(path: string, flags: number): Promise<number | void>
  /** Creates and opens a regular file. The binding passes no open flags: treat it as O_RDWR. */
  create?(path: string, mode: number): Promise<number | void>
  /** Reads up to `buffer.length` bytes at `position` into `buffer`; returns the count (0 at EOF). */
  read?(path: string, fh: number, buffer: Buffer, position: number): Promise<number>
  /** Writes `buffer` at `position`; returns the count written. */
  write?(path: string, fh: number, buffer: Buffer, position: number): Promise<number>
  /** Called on every close() of a descriptor. */
  flush?(path: string, fh: number): Promise<void>
  /** Called once when the last descriptor of an open is closed. */
  release?(path: string, fh: number): Promise<void>
  fsync?(path: string, datasync: boolean, fh: number): Promise<void>

  truncate?(path: string, size: number): Promise<void>
  ftruncate?(path: string, fh: number, size: number): Promise<void>
  chmod?(path: string, mode: number): Promise<void>
  chown?(path: string, uid: number, gid: number): Promise<void>
  /** Sets times; `undefined` leaves that time unchanged ("now" arrives already resolved). */
  utimens?(path: string, atime: Timespec | undefined, mtime: Timespec | undefined): Promise<void>

  mknod?(path: string, mode: number, rdev: number): Promise<void>
  mkdir?(path: string, mode: number): Promise<void>
  rmdir?(path: string): Promise<void>
  unlink?(path: string): Promise<void>
  rename?(from: string, to: string): Promise<void>
  link?(existing: string, newPath: string): Promise<void>
  symlink?(target: string, linkPath: string): Promise<void>
  readlink?(path: string): Promise<string>

  /** `flags` is 0, XATTR_CREATE or XATTR_REPLACE. */
  setxattr?(path: string, name: string, value: Buffer, flags: number): Promise<void>
  /** Returns the value; throw FsError(ENODATA) when it is not set. */
  getxattr?(path: string, name: string): Promise<Buffer>
  listxattr?(path: string): Promise<string[]>
  removexattr?(path: string, name: string): Promise<void>

  /**
   * The real file descriptor behind an open handle, if reads and writes of the handle are plain
   * positional I/O on it. The lowlevel driver then reads and writes it without the backend: it
   * hands it to the kernel (FUSE passthrough, Linux 6.9+), or answers the handle's read and
   * write requests itself with pread/pwrite on it (O_DIRECT handles, older kernels). Called
   * right after open/create; the descriptor must stay open until the handle's release.
   */
  backingFd?(fh: number): number | undefined
}

/** Operations that answer kernel requests (init and destroy are lifecycle hooks, backingFd a query). */
export type RequestName = Exclude<keyof Operations, 'init' | 'destroy' | 'backingFd'>

export type RequestArgs<K extends RequestName> = Parameters<NonNullable<Operations[K]>>
export type RequestResult<K extends RequestName> = Awaited<ReturnType<NonNullable<Operations[K]>>>
