import type { Stat } from '@fusekit/core'
import { S_IFDIR, S_IFMT, type ObjectAttributes } from './object-metadata.js'

/**
 * A Stat for the kernel. Directories have a link count of 1: S3 does not count subdirectories,
 * and 1 tells find and fts not to rely on the count (2 would make them skip subdirectories).
 */
export function statOf(ino: number, attributes: ObjectAttributes): Stat {
  const { mode, uid, gid, size, atime, mtime, ctime } = attributes
  return { ino, mode, nlink: 1, uid, gid, rdev: 0, size, blksize: 4096, blocks: Math.ceil(size / 512), atime, mtime, ctime }
}

export function isDirectory(attributes: Pick<ObjectAttributes, 'mode'>): boolean {
  return (attributes.mode & S_IFMT) === S_IFDIR
}
