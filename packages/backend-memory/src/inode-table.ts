import { FsError, type Timespec } from '@fusekit/core'
import type { Capacity } from './capacity.js'
import { ChunkPool } from './chunk-pool.js'
import { CHUNK_SIZE, FileContent } from './file-content.js'
import { Directory, RegularFile, SpecialFile, Symlink, type Inode } from './inode.js'

export const ROOT_INO = 1
/** Inode numbers travel as 32-bit values. */
const MAX_INO = 0xffff_ffff

/**
 * Makes inodes and frees them: numbers start at 1 (the root), stay below 2^32, and are never
 * given twice while in use; the count is capped, like tmpfs's nr_inodes.
 */
export class InodeTable {
  private readonly inUse = new Set<number>()
  private next = ROOT_INO
  /** File data of the whole mount. */
  private readonly chunks = new ChunkPool(CHUNK_SIZE)

  constructor(
    private readonly capacity: Capacity,
    /** The most inodes that may exist at once. */
    readonly limit: number,
  ) {}

  get count(): number {
    return this.inUse.size
  }

  file(mode: number, uid: number, gid: number, now: Timespec): RegularFile {
    return new RegularFile(this.allocate(), mode, uid, gid, now, new FileContent(this.capacity, this.chunks))
  }

  directory(mode: number, uid: number, gid: number, now: Timespec, parent?: Directory): Directory {
    return new Directory(this.allocate(), mode, uid, gid, now, parent)
  }

  symlink(target: string, uid: number, gid: number, now: Timespec): Symlink {
    const bytes = Buffer.byteLength(target)
    if (!this.capacity.fits(bytes)) throw new FsError('ENOSPC', `a ${bytes}-byte symlink does not fit`)
    const link = new Symlink(this.allocate(), uid, gid, now, target)
    this.capacity.reserve(bytes)
    return link
  }

  special(mode: number, rdev: number, uid: number, gid: number, now: Timespec): SpecialFile {
    return new SpecialFile(this.allocate(), mode, uid, gid, now, rdev)
  }

  /** Frees an inode once no name and no handle refer to it. */
  releaseIfUnused(inode: Inode): void {
    if (!inode.unused || !this.inUse.delete(inode.ino)) return
    inode.xattrs?.clear()
    if (inode instanceof RegularFile) inode.content.release()
    else if (inode instanceof Symlink) this.capacity.release(inode.size)
  }

  private allocate(): number {
    if (this.inUse.size >= this.limit) throw new FsError('ENOSPC', `all ${this.limit} inodes are in use`)
    let ino = this.next
    while (this.inUse.has(ino)) ino = ino >= MAX_INO ? ROOT_INO + 1 : ino + 1
    this.next = ino >= MAX_INO ? ROOT_INO + 1 : ino + 1
    this.inUse.add(ino)
    return ino
  }
}
