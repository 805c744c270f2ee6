import { FsError, ROOT_INO, type Timespec } from '@fusekit/core'
import type { Capacity } from './capacity.js'
import { ChunkPool } from './chunk-pool.js'
import { CHUNK_SIZE } from './chunk-pages.js'
import type { FileStorage } from './file-content.js'
import { Directory, RegularFile, SpecialFile, Symlink, type Inode } from './inode.js'

/** Who a new inode belongs to. */
export interface Owner {
  uid: number
  gid: number
}

/**
 * The inodes by number, which is also the node id the kernel knows them by. Numbers start at 1
 * (the root) and are indexes into one array: a number is given again only after its inode is
 * freed (nothing refers to it, the kernel has forgotten it: see Inode.unused), so the array is
 * as long as the most inodes that lived at once, 8 bytes each, and numbers stay below 2^32. The
 * count is capped, like tmpfs's nr_inodes.
 */
export class InodeTable {
  /** Below ROOT_INO, no inode: the first one made, the root, is ROOT_INO. */
  private readonly byIno = new Array<Inode | undefined>(ROOT_INO).fill(undefined)
  /** Numbers of freed inodes, given again first. */
  private readonly freed: number[] = []
  private live = 0
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
    return this.live
  }

  /** The inode numbered `ino`; ENOENT when there is none (any more). */
  get(ino: number): Inode {
    const inode = this.byIno[ino]
    if (inode === undefined) throw new FsError('ENOENT', `no inode ${ino}`)
    return inode
  }

  find(ino: number): Inode | undefined {
    return this.byIno[ino]
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
    if (!inode.unused || this.byIno[inode.ino] !== inode) return
    this.byIno[inode.ino] = undefined
    this.freed.push(inode.ino)
    this.live--
    inode.xattrs?.clear()
    if (inode instanceof RegularFile) inode.release()
    else if (inode instanceof Symlink) this.capacity.release(inode.size)
  }

  private add<T extends Inode>(inode: T): T {
    this.byIno[inode.ino] = inode
    this.live++
    return inode
  }

  private allocate(): number {
    if (this.live >= this.limit) throw new FsError('ENOSPC', `all ${this.limit} inodes are in use`)
    return this.freed.pop() ?? this.byIno.length
  }
}
