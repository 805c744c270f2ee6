import type { Stat } from '@fusekit/core'
import { S_IFDIR, S_IFMT, type ObjectAttributes } from './object-metadata.js'

/** A Stat for the kernel, with `nlink` links (linkCount). */
export function statOf(ino: number, attributes: ObjectAttributes, nlink: number): Stat {
  const { mode, uid, gid, size, atime, mtime, ctime } = attributes
  return { ino, mode, nlink, uid, gid, rdev: 0, size, blksize: 4096, blocks: Math.ceil(size / 512), atime, mtime, ctime }
}

/**
 * The link count: a file has one name (none once unlinked while open); a directory 2 plus its
 * subdirectories, as its listing shows them, or 1 when no listing is known: S3 does not count
 * subdirectories, and 1 tells find and fts not to rely on the count (2 would make them think
 * there is none).
 */
export function linkCount(attributes: Pick<ObjectAttributes, 'mode'>, subdirectories: number | undefined, detached = false): number {
  if (!isDirectory(attributes)) return detached ? 0 : 1
  return subdirectories === undefined ? 1 : 2 + subdirectories
}

export function isDirectory(attributes: Pick<ObjectAttributes, 'mode'>): boolean {
  return (attributes.mode & S_IFMT) === S_IFDIR
}
