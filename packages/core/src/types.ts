import { constants } from 'node:fs'
import { preciseWallMillis } from './wall-clock.js'

/** A point in time, like C's struct timespec. */
export interface Timespec {
  readonly sec: number
  readonly nsec: number
}

export const Timespec = {
  fromMillis(ms: number): Timespec {
    const sec = Math.floor(ms / 1000)
    return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) }
  },
  toMillis(ts: Timespec): number {
    return ts.sec * 1000 + Math.floor(ts.nsec / 1e6)
  },
  /** The current time with sub-millisecond precision (see preciseWallMillis). */
  now(): Timespec {
    return Timespec.fromMillis(preciseWallMillis())
  },
} as const

/** File attributes, as returned by getattr (struct stat). */
export interface Stat {
  ino: number
  mode: number
  nlink: number
  uid: number
  gid: number
  rdev: number
  size: number
  blksize: number
  /** Allocated space in 512-byte units. */
  blocks: number
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
}

/** Filesystem statistics, as returned by statfs (struct statvfs). */
export interface StatVfs {
  bsize: number
  frsize: number
  blocks: number
  bfree: number
  bavail: number
  files: number
  ffree: number
  favail: number
  fsid: number
  flag: number
  namemax: number
}

/**
 * One directory entry. Give its inode number and type (the S_IFMT bits of a mode), as getdents
 * does, so that `ls` and `find` tell directories from files without a getattr per entry; a full
 * `stat` serves for both.
 */
export interface DirEntry {
  name: string
  ino?: number
  type?: number
  stat?: Stat
}

/** What a listing shows of an entry: its inode number and type, 0 where the backend gave none. */
export function entryIdentity(entry: DirEntry): { ino: number; type: number } {
  const { stat } = entry
  return stat ? { ino: stat.ino, type: stat.mode & constants.S_IFMT } : { ino: entry.ino ?? 0, type: entry.type ?? 0 }
}

/** Open flags as the kernel passes them to open (Linux values). */
export const OpenFlags = {
  O_RDONLY: constants.O_RDONLY,
  O_WRONLY: constants.O_WRONLY,
  O_RDWR: constants.O_RDWR,
  O_ACCMODE: 3,
  O_CREAT: constants.O_CREAT,
  O_EXCL: constants.O_EXCL,
  O_TRUNC: constants.O_TRUNC,
  O_APPEND: constants.O_APPEND,
  O_DIRECTORY: constants.O_DIRECTORY,
  O_NOFOLLOW: constants.O_NOFOLLOW,
  O_SYNC: constants.O_SYNC,
  O_DSYNC: constants.O_DSYNC,
  O_DIRECT: constants.O_DIRECT ?? 0o40000,
  O_NONBLOCK: constants.O_NONBLOCK,
} as const

/** Flags of setxattr. */
export const XattrFlags = {
  XATTR_CREATE: 1,
  XATTR_REPLACE: 2,
} as const

/** File type bits of a mode. */
export const FileType = {
  S_IFMT: constants.S_IFMT,
  S_IFREG: constants.S_IFREG,
  S_IFDIR: constants.S_IFDIR,
  S_IFLNK: constants.S_IFLNK,
  S_IFIFO: constants.S_IFIFO,
  S_IFCHR: constants.S_IFCHR,
  S_IFBLK: constants.S_IFBLK,
  S_IFSOCK: constants.S_IFSOCK,
} as const

/** access() mode bits. */
export const AccessMode = {
  F_OK: constants.F_OK,
  R_OK: constants.R_OK,
  W_OK: constants.W_OK,
  X_OK: constants.X_OK,
} as const
