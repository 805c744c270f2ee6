import { EncodedListing, FileType, type Stat, type Timespec } from '@fusekit/core'
import { PAGE_SIZE } from './chunk-pages.js'
import { FileContent, type FileStorage } from './file-content.js'
import type { XattrStore } from './xattrs.js'

/** Set-user-ID and set-group-ID bits (on a directory, new entries take its group). */
export { S_ISGID, S_ISUID } from '@fusekit/core'
/** Sticky bit: in a directory, only a name's owner (or the directory's) may remove it. */
export const S_ISVTX = 0o1000
/** tmpfs counts this many bytes of directory size per entry, "." and ".." included. */
const DIRENT_SIZE = 20
/** tmpfs keeps a symlink target shorter than this (with its NUL) in the inode: no block. */
const SHORT_SYMLINK_LEN = 128
const DAY_SECONDS = 24 * 60 * 60
/** A directory keeps its names as READDIR's bytes too from this many on (smaller ones list cheaply anyway). */
export const ENCODED_FROM = 64

/**
 * What every kind of file has: number, ownership, mode, link count, times, xattrs, and what
 * keeps it alive. An inode lives while it has a name (nlink), an open handle or a lookup the
 * kernel has not forgotten.
 */
export abstract class Inode {
  nlink: number
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
  xattrs: XattrStore | undefined = undefined
  /** Open file handles. */
  openCount = 0
  /** Entries handed to the kernel (lookup, creation, READDIRPLUS) and not yet forgotten. */
  lookups = 0

  constructor(
    readonly ino: number,
    /** Type and permission bits. */
    public mode: number,
    public uid: number,
    public gid: number,
    now: Timespec,
    nlink: number,
  ) {
    this.nlink = nlink
    this.atime = now
    this.mtime = now
    this.ctime = now
  }

  abstract get size(): number
  /** Allocated space in 512-byte units. */
  abstract get blocks(): number

  get rdev(): number {
    return 0
  }

  /** The S_IFMT bits of the mode. */
  get type(): number {
    return this.mode & FileType.S_IFMT
  }

  /** Whether nothing refers to it any more: no name, no open handle, no lookup. */
  get unused(): boolean {
    return this.nlink === 0 && this.openCount === 0 && this.lookups === 0
  }

  stat(): Stat {
    return {
      ino: this.ino,
      mode: this.mode,
      nlink: this.nlink,
      uid: this.uid,
      gid: this.gid,
      rdev: this.rdev,
      size: this.size,
      blksize: PAGE_SIZE,
      blocks: this.blocks,
      atime: this.atime,
      mtime: this.mtime,
      ctime: this.ctime,
    }
  }

  /** Attributes changed (chmod, chown, link count, xattrs). */
  changed(now: Timespec): void {
    this.ctime = now
  }

  /** Contents changed (data, directory entries). */
  modified(now: Timespec): void {
    this.mtime = now
    this.ctime = now
  }

  /** Contents read: relatime, so reads do not rewrite atime each time. */
  accessed(now: Timespec): void {
    const a = this.atime
    if (!after(a, this.mtime) || !after(a, this.ctime) || now.sec - a.sec >= DAY_SECONDS) this.atime = now
  }
}

function after(a: Timespec, b: Timespec): boolean {
  return a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec)
}

export class RegularFile extends Inode {
  /** Made when the contents are first used: an empty file, the most common, holds none. */
  private data: FileContent | undefined = undefined

  constructor(ino: number, mode: number, uid: number, gid: number, now: Timespec, private readonly storage: FileStorage) {
    super(ino, (mode & 0o7777) | FileType.S_IFREG, uid, gid, now, 1)
  }

  get content(): FileContent {
    return (this.data ??= new FileContent(this.storage))
  }

  get size(): number {
    return this.data?.size ?? 0
  }

  get blocks(): number {
    return (this.data?.allocatedPages ?? 0) * (PAGE_SIZE / 512)
  }

  /** The file is gone: its pages go back to the mount. */
  release(): void {
    this.data?.release()
  }
}

export class Directory extends Inode {
  /** Entries by name: the only place names are kept. Iterated in insertion order by listings. */
  readonly entries = new Map<string, Inode>()
  /** The directory holding this one; the root is its own parent. */
  parent: Directory
  /**
   * The entries, in the same order, as the bytes READDIR answers with (about 32 bytes per name):
   * kept while names are only added, from ENCODED_FROM entries on; gone at a removal until a
   * whole listing is read again (see MemoryFileSystem.readdir).
   */
  listing: EncodedListing | undefined = undefined

  constructor(ino: number, mode: number, uid: number, gid: number, now: Timespec, parent?: Directory) {
    super(ino, (mode & 0o7777) | FileType.S_IFDIR, uid, gid, now, 2)
    this.parent = parent ?? this
  }

  get size(): number {
    return (this.entries.size + 2) * DIRENT_SIZE
  }

  get blocks(): number {
    return 0
  }

  /** Adds an entry; a subdirectory's ".." adds a link to this one. */
  attach(name: string, inode: Inode): void {
    this.entries.set(name, inode)
    if (this.listing !== undefined) this.listing.append(name, inode.ino, inode.type)
    else if (this.entries.size === ENCODED_FROM) this.listing = this.encoded()
    if (inode instanceof Directory) {
      inode.parent = this
      inode.listing?.setParent(this.ino)
      this.nlink++
    }
  }

  detach(name: string, inode: Inode): void {
    this.entries.delete(name)
    this.listing = undefined
    if (inode instanceof Directory) this.nlink--
  }

  /** A new EncodedListing of the entries as they are. */
  encoded(): EncodedListing {
    const listing = new EncodedListing(this.ino, this.parent.ino)
    for (const [name, inode] of this.entries) listing.append(name, inode.ino, inode.type)
    return listing
  }

  /** Whether this directory is `dir` or one of its ancestors. */
  contains(dir: Directory): boolean {
    for (let d = dir; ; d = d.parent) {
      if (d === this) return true
      if (d.parent === d) return false
    }
  }
}

export class Symlink extends Inode {
  /** Bytes of the target, as the size of a symlink is. */
  readonly size: number

  constructor(ino: number, uid: number, gid: number, now: Timespec, readonly target: string) {
    super(ino, 0o777 | FileType.S_IFLNK, uid, gid, now, 1)
    this.size = Buffer.byteLength(target)
  }

  get blocks(): number {
    return this.size + 1 > SHORT_SYMLINK_LEN ? PAGE_SIZE / 512 : 0
  }
}

/** A FIFO, socket or device node: only its attributes live here; the kernel handles its I/O. */
export class SpecialFile extends Inode {
  constructor(ino: number, mode: number, uid: number, gid: number, now: Timespec, private readonly device: number) {
    super(ino, mode, uid, gid, now, 1)
  }

  get size(): number {
    return 0
  }

  get blocks(): number {
    return 0
  }

  override get rdev(): number {
    return this.device
  }
}
