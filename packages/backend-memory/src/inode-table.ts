import { FsError, ROOT_INO, type Timespec } from '@fusekit/core'
import type { Capacity } from './capacity.js'
import { ChunkPool } from './chunk-pool.js'
import { CHUNK_SIZE } from './chunk-pages.js'
import type { FileStorage } from './file-content.js'
import { Directory, RegularFile, SpecialFile, Symlink, type Inode } from './inode.js'

/** Inode numbers travel as 32-bit values. */
const MAX_INO = 0xffff_ffff

/** Who a new inode belongs to. */
export interface Owner {
  uid: number
  gid: number
}

/**
 * The inodes by number, which is also the node id the kernel knows them by. Numbers start at 1
 * (the root), stay below 2^32, and are never given twice while in use; the count is capped, like
 * tmpfs's nr_inodes. An inode is freed once nothing refers to it (see Inode.unused).
 */
export class InodeTable {
  private readonly byIno = new Map<number, Inode>()
  private next = ROOT_INO
  /** File data of the whole mount. */
  private readonly storage: FileStorage

  constructor(
    private readonly capacity: Capacity,
    /** The most inodes that may exist at once. */
    readonly limit: number,
  ) {
    this.storage = { capacity, pool: new ChunkPool(CHUNK_SIZE) }
  }

  get count(): number {
    return this.byIno.size
  }

  /** The inode numbered `ino`; ENOENT when there is none (any more). */
  get(ino: number): Inode {
    const inode = this.byIno.get(ino)
    if (inode === undefined) throw new FsError('ENOENT', `no inode ${ino}`)
    return inode
  }

  find(ino: number): Inode | undefined {
    return this.byIno.get(ino)
  }

  file(mode: number, owner: Owner, now: Timespec): RegularFile {
    return this.add(new RegularFile(this.allocate(), mode, owner.uid, owner.gid, now, this.storage))
  }

  directory(mode: number, owner: Owner, now: Timespec, parent?: Directory): Directory {
    return this.add(new Directory(this.allocate(), mode, owner.uid, owner.gid, now, parent))
  }

  symlink(target: string, owner: Owner, now: Timespec): Symlink {
    const bytes = Buffer.byteLength(target)
    if (!this.capacity.fits(bytes)) throw new FsError('ENOSPC', `a ${bytes}-byte symlink does not fit`)
    const link = this.add(new Symlink(this.allocate(), owner.uid, owner.gid, now, target))
    this.capacity.reserve(bytes)
    return link
  }

  special(mode: number, rdev: number, owner: Owner, now: Timespec): SpecialFile {
    return this.add(new SpecialFile(this.allocate(), mode, owner.uid, owner.gid, now, rdev))
  }

  /** Frees an inode once no name, handle or lookup refers to it. */
  releaseIfUnused(inode: Inode): void {
    if (!inode.unused || !this.byIno.delete(inode.ino)) return
    inode.xattrs?.clear()
    if (inode instanceof RegularFile) inode.release()
    else if (inode instanceof Symlink) this.capacity.release(inode.size)
  }

  private add<T extends Inode>(inode: T): T {
    this.byIno.set(inode.ino, inode)
    return inode
  }

  private allocate(): number {
    if (this.byIno.size >= this.limit) throw new FsError('ENOSPC', `all ${this.limit} inodes are in use`)
    let ino = this.next
    while (this.byIno.has(ino)) ino = ino >= MAX_INO ? ROOT_INO + 1 : ino + 1
    this.next = ino >= MAX_INO ? ROOT_INO + 1 : ino + 1
    return ino
  }
}
