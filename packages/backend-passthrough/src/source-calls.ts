import { FsError } from '@fusekit/core'
import { loadAddon } from '@fusekit/native-addon'

/**
 * The native calls (native/*.c). Each returns a negative errno on failure. `fd` is a node's O_PATH
 * descriptor or an open file's; `name` is one component of a directory, refused with EACCES when
 * it is empty, "." or "..", or holds "/" or NUL. `out` receives a stat (StatFields). `uid`, `gid`:
 * who makes a new object, both -1 for this process.
 */
interface SourceCalls {
  /** The source directory's O_PATH descriptor (ENOSYS: the kernel has no openat2). */
  openSource(path: string, out: Float64Array): number
  /** The limit on open descriptors, after raising it as far as this process may. */
  raiseFileLimit(): number

  /** An O_PATH descriptor of `name` in `dirFd` itself, found beneath it without following any symlink. */
  lookupAt(dirFd: number, name: string, out: Float64Array): number
  /** The stat of `name` in `dirFd` itself (a symlink as the link), without opening it. */
  statAt(dirFd: number, name: string, out: Float64Array): number
  /** An O_PATH descriptor of the inode `fd` refers to. */
  pathOf(fd: number): number
  statFd(fd: number, out: Float64Array): number
  /** The inode opened for I/O with `flags` (ELOOP for a symlink). */
  reopen(fd: number, flags: number): number
  readLink(fd: number): string | number
  /** -1 keeps an id. */
  setOwner(fd: number, uid: number, gid: number): number
  /** `byDescriptor`: `fd` is an open file (fchmod), else a node (EOPNOTSUPP for a symlink). */
  setMode(fd: number, mode: number, byDescriptor: boolean): number
  setSize(fd: number, size: number, byDescriptor: boolean): number
  /** A nanosecond value of TIME_OMIT keeps that time, TIME_NOW sets the source's clock. */
  setTimes(fd: number, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): number
  access(fd: number, mode: number): number
  /** bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax. */
  statFilesystem(fd: number, out: Float64Array): number

  /** A new regular file opened with `flags` (EEXIST when the name is taken), permissions exactly `mode`'s. */
  createAt(dirFd: number, name: string, flags: number, mode: number, uid: number, gid: number, out: Float64Array): number
  /** A new node (`mode` holds the type; S_IFDIR: a directory) as an O_PATH descriptor; `rdev` in the kernel's 32-bit encoding. */
  mknodAt(dirFd: number, name: string, mode: number, rdev: number, uid: number, gid: number, out: Float64Array): number
  symlinkAt(target: string, dirFd: number, name: string, uid: number, gid: number, out: Float64Array): number
  /** A new name in `dirFd` for the inode `fd` refers to (a symlink is linked itself). */
  linkAt(fd: number, dirFd: number, name: string): number
  unlinkAt(dirFd: number, name: string, flags: number): number
  renameAt(fromDir: number, fromName: string, toDir: number, toName: string, flags: number): number

  allocate(fd: number, mode: number, offset: number, length: number): number
  copyRange(fdIn: number, offsetIn: number, fdOut: number, offsetOut: number, length: number, flags: number): number
  seek(fd: number, offset: number, whence: number): number
  /** What close(2) does to the file, without closing the descriptor. */
  flush(fd: number): number

  /** A descriptor for reading the directory `fd` refers to. */
  openDirectory(fd: number): number
  /**
   * Writes the next entries of the listing whose state is `state` ("." and ".." included, read
   * from `dirFd` by getdents64) into `into` (directory-stream.ts; native/directory-calls.c): the
   * bytes written.
   */
  writeEntries(
    dirFd: number,
    state: Buffer,
    into: Buffer,
    start: number,
    room: number,
    most: number,
    plus: boolean,
    settings: Float64Array,
    records: Float64Array,
    next: number,
    known: Float64Array,
    largeStats: boolean,
  ): number
  /**
   * Reads the entries after what is left of the listing's batch into the rest of `state` (larger
   * than a batch) when half a batch or more of it is free: the bytes read, 0 if none were.
   */
  readAhead(dirFd: number, state: Buffer): number

  getXattr(fd: number, attribute: string): Buffer | number
  /** The names, each ended by a NUL. */
  listXattr(fd: number): Buffer | number
  setXattr(fd: number, attribute: string, value: Buffer, flags: number): number
  removeXattr(fd: number, attribute: string): number
}

// From the package root: src/ (tests) and dist/ alike.
export const calls = loadAddon<SourceCalls>(new URL('../', import.meta.url), 'source-calls')

/** unlinkAt's flag that makes it rmdir. */
export const AT_REMOVEDIR = 0x200
/** setTimes' nanosecond values for UTIME_OMIT and UTIME_NOW. */
export const TIME_OMIT = -1
export const TIME_NOW = -2
/** The ids passed to the calls that make objects for this process itself. */
export const THIS_PROCESS = -1

/** Passes a call's result through, or throws the FsError its negative errno stands for. */
export function check<T>(result: T | number): T {
  if (typeof result === 'number' && result < 0) throw new FsError(-result)
  return result as T
}

/** As check, but returns the FsError: for lookup and getxattr, whose misses are common and a throw costs. */
export function answer<T>(result: T | number): T | FsError {
  return typeof result === 'number' && result < 0 ? FsError.of(-result) : (result as T)
}
