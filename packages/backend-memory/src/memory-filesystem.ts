import {
  FallocateMode,
  MAY_READ,
  MAY_WRITE,
  callerIsRoot,
  letsOthersIn,
  permits,
  setIdBitsClearedBySetattr,
  setIdBitsClearedByWrite,
  FileType,
  FsError,
  OpenFlags,
  SeekWhence,
  SetattrValid,
  Timespec,
  type Created,
  type Entry,
  type InodeDirEntry,
  type InodeListing,
  type InodeOperations,
  type Logger,
  type MountOptions,
  type RequestContext,
  type SetattrRequest,
  type Stat,
  type StatVfs,
} from '@fusekit/core'
import { Capacity } from './capacity.js'
import { PAGE_SIZE } from './chunk-pages.js'
import { MAX_FILE_SIZE } from './file-content.js'
import { FileTree } from './file-tree.js'
import { HandleTable, OpenFile } from './handle-table.js'
import { Directory, ENCODED_FROM, RegularFile, SpecialFile, Symlink, type Inode } from './inode.js'
import { inodeLimit } from './inode-limit.js'
import { InodeTable } from './inode-table.js'
import { NAME_MAX, PATH_MAX } from './names.js'
import type { MemoryOptions } from './options.js'
import { PermissionChecks } from './permission-checks.js'
import { XattrStore } from './xattrs.js'

const { KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE } = FallocateMode
const { MODE, UID, GID, SIZE, ATIME, MTIME, ATIME_NOW, MTIME_NOW, CTIME } = SetattrValid

/**
 * A POSIX filesystem held in memory, as an inode-layer fusekit backend that behaves as tmpfs:
 * node ids are inode numbers, every name and handle of an inode reaches the same node, and an
 * inode lives until its last name, handle and kernel lookup are gone. Every operation is
 * synchronous work on in-memory structures and answers at once, with no Promise: the low-level
 * driver then replies in the same turn.
 */
export class MemoryFileSystem implements InodeOperations {
  private readonly capacity: Capacity
  private readonly inodes: InodeTable
  private readonly tree: FileTree
  private readonly handles = new HandleTable()
  /** Answers xattr reads for inodes that never had one. */
  private readonly noXattrs: XattrStore
  /** The checks the kernel leaves to the backend without default_permissions; none with it. */
  private readonly checks: PermissionChecks | undefined
  /**
   * Opening a directory needs read permission, which only the backend checks without
   * default_permissions. With it, or when only root can reach the mount, there is no opendir:
   * directories open with no request at all.
   */
  readonly opendir?: (ctx: RequestContext, ino: number, flags: number) => void

  constructor(
    options: MemoryOptions,
    private readonly logger: Logger,
    mountOptions: Pick<MountOptions, 'defaultPermissions' | 'allowOther' | 'fuseOptions'>,
  ) {
    this.capacity = new Capacity(options.size)
    this.inodes = new InodeTable(this.capacity, inodeLimit(options.size))
    this.noXattrs = new XattrStore(this.capacity)
    if (!mountOptions.defaultPermissions) {
      const checks = (this.checks = new PermissionChecks())
      const onlyRoot = process.getuid?.() === 0 && !letsOthersIn(mountOptions)
      if (!onlyRoot) this.opendir = (ctx, ino, flags) => checks.open(ctx, directory(this.inodes.get(ino)), flags)
    }
    // The root belongs to whoever mounted.
    this.tree = new FileTree(this.inodes, this.checks, { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }, Timespec.now())
  }

  async init(): Promise<void> {
    const checking = this.checks ? 'the backend checks permissions' : 'the kernel checks permissions'
    this.logger.debug(`memory: capacity ${this.capacity.total} bytes, at most ${this.inodes.limit} inodes; ${checking}`)
  }

  lookup(ctx: RequestContext, parent: number, name: string): Entry | FsError {
    const inode = this.tree.find(ctx, this.directory(parent), name)
    return inode instanceof FsError ? inode : this.entry(inode)
  }

  forget(ino: number, nlookup: number): void {
    const inode = this.inodes.find(ino)
    if (inode === undefined) return
    inode.lookups = Math.max(0, inode.lookups - nlookup)
    this.inodes.releaseIfUnused(inode)
  }

  getattr(_ctx: RequestContext, ino: number, fh?: number): Stat {
    return this.inodeOf(ino, fh).stat()
  }

  setattr(ctx: RequestContext, ino: number, request: SetattrRequest): Stat {
    const handle = request.fh ? this.handles.get(request.fh) : undefined
    const inode = handle?.inode ?? this.inodes.get(ino)
    const { valid } = request
    const file = valid & SIZE ? regular(inode) : undefined
    if (file) checkSize(request.size)
    const mode = this.checks ? this.checks.setattr(ctx, inode, request, handle?.writable === true) : request.mode
    const cleared = setIdBitsClearedBySetattr(ctx, inode, valid)
    // "Now" arrives resolved in the times: ctime is the same instant.
    const now = valid & MTIME_NOW ? request.mtime : valid & ATIME_NOW ? request.atime : Timespec.now()
    if (file) {
      file.content.truncate(request.size)
      file.modified(now)
    }
    inode.mode = inode.type | ((valid & MODE ? mode : inode.mode) & 0o7777 & ~cleared)
    if (valid & UID) inode.uid = request.uid
    if (valid & GID) inode.gid = request.gid
    if (valid & ATIME) inode.atime = request.atime
    if (valid & MTIME) inode.mtime = request.mtime
    inode.ctime = valid & CTIME ? request.ctime : now
    return inode.stat()
  }

  access(ctx: RequestContext, ino: number, mask: number): void {
    const inode = this.inodes.get(ino)
    if (mask !== 0 && !permits(ctx, inode, mask)) throw new FsError('EACCES')
  }

  statfs(_ctx: RequestContext, _ino: number): StatVfs {
    const free = Math.floor(this.capacity.free / PAGE_SIZE)
    const freeInodes = this.inodes.limit - this.inodes.count
    return {
      bsize: PAGE_SIZE,
      frsize: PAGE_SIZE,
      blocks: Math.floor(this.capacity.total / PAGE_SIZE),
      bfree: free,
      bavail: free,
      files: this.inodes.limit,
      ffree: freeInodes,
      favail: freeInodes,
      fsid: 0,
      flag: 0,
      namemax: NAME_MAX,
    }
  }

  readlink(_ctx: RequestContext, ino: number): string {
    const inode = this.inodes.get(ino)
    if (!(inode instanceof Symlink)) throw new FsError('EINVAL', `inode ${ino} is not a symlink`)
    inode.accessed(Timespec.now())
    return inode.target
  }

  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): Entry {
    const dir = this.directory(parent)
    const now = Timespec.now()
    switch (mode & FileType.S_IFMT) {
      case 0:
      case FileType.S_IFREG:
        return this.entry(this.tree.makeFile(ctx, dir, name, mode, now))
      case FileType.S_IFIFO:
      case FileType.S_IFSOCK:
        return this.entry(this.tree.makeSpecial(ctx, dir, name, mode & (FileType.S_IFMT | 0o7777), 0, now))
      case FileType.S_IFCHR:
      case FileType.S_IFBLK:
        return this.entry(this.tree.makeSpecial(ctx, dir, name, mode & (FileType.S_IFMT | 0o7777), rdev, now))
      case FileType.S_IFDIR:
        throw new FsError('EPERM', 'mknod cannot make directories: use mkdir')
      default:
        throw new FsError('EINVAL', `mknod: unknown file type in mode 0o${mode.toString(8)}`)
    }
  }

  mkdir(ctx: RequestContext, parent: number, name: string, mode: number): Entry {
    return this.entry(this.tree.makeDirectory(ctx, this.directory(parent), name, mode, Timespec.now()))
  }

  symlink(ctx: RequestContext, target: string, parent: number, name: string): Entry {
    if (target === '') throw new FsError('ENOENT', 'a symlink target cannot be empty')
    if (Buffer.byteLength(target) >= PATH_MAX) throw new FsError('ENAMETOOLONG', `a symlink target is under ${PATH_MAX} bytes`)
    return this.entry(this.tree.makeSymlink(ctx, this.directory(parent), name, target, Timespec.now()))
  }

  link(ctx: RequestContext, ino: number, newParent: number, newName: string): Entry {
    const inode = this.inodes.get(ino)
    this.tree.link(ctx, inode, this.directory(newParent), newName, Timespec.now())
    return this.entry(inode)
  }

  unlink(ctx: RequestContext, parent: number, name: string): void {
    this.tree.unlink(ctx, this.directory(parent), name, Timespec.now())
  }

  rmdir(ctx: RequestContext, parent: number, name: string): void {
    this.tree.rmdir(ctx, this.directory(parent), name, Timespec.now())
  }

  rename(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    this.tree.rename(ctx, this.directory(parent), name, this.directory(newParent), newName, flags, Timespec.now())
  }

  open(ctx: RequestContext, ino: number, flags: number): number {
    const inode = this.inodes.get(ino)
    const file = new OpenFile(inode, flags)
    if (inode instanceof Directory) {
      if (file.writable || flags & OpenFlags.O_TRUNC) throw new FsError('EISDIR', `inode ${ino} is a directory: it cannot be opened for writing`)
    } else if (inode instanceof Symlink) {
      throw new FsError('ELOOP', `inode ${ino} is a symlink`)
    }
    this.checks?.open(ctx, inode, flags)
    if (inode instanceof SpecialFile) throw new FsError('ENXIO', `inode ${ino} is a special file: the kernel opens those itself`)
    // Linux truncates even for O_RDONLY|O_TRUNC (write permission was checked).
    if (inode instanceof RegularFile && flags & OpenFlags.O_TRUNC) {
      inode.content.truncate(0)
      this.written(ctx, inode, Timespec.now())
    }
    return this.handles.add(file)
  }

  create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number): Created {
    const file = this.tree.makeFile(ctx, this.directory(parent), name, mode, Timespec.now())
    const fh = this.handles.add(new OpenFile(file, flags))
    // Not a spread of entry(): V8 copies spread properties one by one through a slow path.
    const { ino, attr } = this.entry(file)
    return { ino, attr, fh }
  }

  read(_ctx: RequestContext, _ino: number, fh: number, buffer: Buffer, position: number): number {
    const inode = this.fileOpenFor(fh, 'reading')
    const count = inode.content.read(buffer, checkOffset(position))
    inode.accessed(Timespec.now())
    return count
  }

  /** read without a copy: the low-level driver writes the chunks' own bytes to the kernel. */
  readSlices(_ctx: RequestContext, _ino: number, fh: number, position: number, size: number): Buffer[] {
    const inode = this.fileOpenFor(fh, 'reading')
    const slices = inode.content.slices(checkOffset(position), size)
    inode.accessed(Timespec.now())
    return slices
  }

  write(ctx: RequestContext, _ino: number, fh: number, buffer: Buffer, position: number): number {
    const inode = this.fileOpenFor(fh, 'writing')
    inode.content.write(buffer, checkOffset(position))
    this.written(ctx, inode, Timespec.now())
    return buffer.length
  }

  release(_ctx: RequestContext, _ino: number, fh: number): void {
    this.inodes.releaseIfUnused(this.handles.remove(fh).inode)
  }

  fallocate(ctx: RequestContext, _ino: number, fh: number, mode: number, offset: number, length: number): void {
    const inode = this.fileOpenFor(fh, 'writing')
    if (length <= 0) throw new FsError('EINVAL', `fallocate of ${length} bytes`)
    const end = checkOffset(offset) + length
    const keepSize = (mode & KEEP_SIZE) !== 0
    switch (mode & ~KEEP_SIZE) {
      case 0:
        inode.content.allocate(offset, end, keepSize)
        break
      case PUNCH_HOLE:
        if (!keepSize) throw new FsError('EOPNOTSUPP', 'a hole is punched with KEEP_SIZE')
        inode.content.punchHole(offset, end)
        break
      case ZERO_RANGE:
        inode.content.zeroRange(offset, end, keepSize)
        break
      default:
        throw new FsError('EOPNOTSUPP', `fallocate mode 0x${mode.toString(16)}`)
    }
    this.written(ctx, inode, Timespec.now())
  }

  lseek(_ctx: RequestContext, _ino: number, fh: number, offset: number, whence: number): number {
    const inode = regular(this.handles.get(fh).inode)
    if (whence !== SeekWhence.SEEK_DATA && whence !== SeekWhence.SEEK_HOLE) throw new FsError('EINVAL', `lseek whence ${whence}`)
    if (offset < 0) throw new FsError('ENXIO')
    return inode.content.seek(offset, whence === SeekWhence.SEEK_DATA)
  }

  copyFileRange(
    ctx: RequestContext,
    _inoIn: number,
    fhIn: number,
    offsetIn: number,
    _inoOut: number,
    fhOut: number,
    offsetOut: number,
    length: number,
    flags: number,
  ): number {
    if (flags !== 0) throw new FsError('EINVAL', `copy_file_range flags ${flags}`)
    const input = this.handles.get(fhIn)
    if (!input.readable) throw new FsError('EBADF', `handle ${fhIn} is not open for reading`)
    const source = regular(input.inode)
    const target = this.fileOpenFor(fhOut, 'writing')
    const count = Math.max(0, Math.min(length, source.size - checkOffset(offsetIn)))
    checkOffset(offsetOut)
    if (source === target && offsetIn < offsetOut + count && offsetOut < offsetIn + count) throw new FsError('EINVAL', 'the ranges overlap')
    const copied = target.content.copyFrom(source.content, offsetIn, offsetOut, count)
    const now = Timespec.now()
    source.accessed(now)
    if (copied > 0) this.written(ctx, target, now)
    return copied
  }

  readdir(_ctx: RequestContext, ino: number, _fh: number, offset: number, withStats: boolean): InodeListing {
    const dir = this.directory(ino)
    dir.accessed(Timespec.now())
    const { listing } = dir
    if (listing === undefined) return this.entriesOf(dir, offset, withStats)
    if (!withStats) return listing.from(offset)
    // Where the kernel goes on without stats: the held bytes, while no name was removed since (the same order).
    return Object.assign(this.entriesOf(dir, offset, true), { withoutStats: (from: number) => (dir.listing === listing ? listing.from(from) : undefined) })
  }

  setxattr(ctx: RequestContext, ino: number, name: string, value: Buffer, flags: number): void {
    const inode = this.inodes.get(ino)
    this.checks?.xattr(ctx, inode, name, MAY_WRITE)
    ;(inode.xattrs ??= new XattrStore(this.capacity)).set(name, value, flags)
    inode.changed(Timespec.now())
  }

  getxattr(ctx: RequestContext, ino: number, name: string): Buffer | FsError {
    const inode = this.inodes.get(ino)
    this.checks?.xattr(ctx, inode, name, MAY_READ)
    return this.xattrsOf(inode).get(name)
  }

  listxattr(ctx: RequestContext, ino: number): string[] {
    const names = this.xattrsOf(this.inodes.get(ino)).list()
    // As tmpfs: trusted.* attributes are listed to root only.
    return callerIsRoot(ctx) ? names : names.filter((name) => !name.startsWith('trusted.'))
  }

  removexattr(ctx: RequestContext, ino: number, name: string): void {
    const inode = this.inodes.get(ino)
    this.checks?.xattr(ctx, inode, name, MAY_WRITE)
    this.xattrsOf(inode).remove(name)
    inode.changed(Timespec.now())
  }

  /** What lookup answers: counts one lookup of the inode, which the kernel gives back with forget. */
  private entry(inode: Inode): Entry {
    inode.lookups++
    return { ino: inode.ino, attr: inode.stat() }
  }

  /**
   * A directory's entries from `offset` on ("." and ".." first), drawn one at a time from its
   * live map of names: continuing a listing costs O(1) per entry, starting at an offset skips
   * that many. With stats, an entry counts a lookup when it is drawn. A large directory read
   * whole without stats gets its EncodedListing back: made once a whole listing was paid for,
   * so that reading the start of a listing after each removal never costs the whole.
   */
  private *entriesOf(dir: Directory, offset: number, withStats: boolean): Generator<InodeDirEntry> {
    if (offset === 0) yield { name: '.', ino: dir.ino, type: FileType.S_IFDIR }
    if (offset <= 1) yield { name: '..', ino: dir.parent.ino, type: FileType.S_IFDIR }
    let skip = offset - 2
    for (const [name, inode] of dir.entries) {
      if (skip-- > 0) continue
      yield withStats ? { name, ino: inode.ino, type: inode.type, entry: this.entry(inode) } : { name, ino: inode.ino, type: inode.type }
    }
    if (offset === 0 && !withStats && dir.listing === undefined && dir.entries.size >= ENCODED_FROM) dir.listing = dir.encoded()
  }

  /**
   * Data changed by `ctx`: mtime and ctime, the set-id bits such a change clears, and the file's
   * capabilities (a write-only handle writes past the kernel's page cache, and the kernel then
   * leaves that to us, as tmpfs's write does it).
   */
  private written(ctx: RequestContext, inode: RegularFile, now: Timespec): void {
    inode.mode &= ~setIdBitsClearedByWrite(ctx, inode)
    inode.xattrs?.discard('security.capability')
    inode.modified(now)
  }

  /** The inode a request is about: through its handle when it came with one (fstat, ftruncate, fchmod). */
  private inodeOf(ino: number, fh: number | undefined): Inode {
    return fh ? this.handles.get(fh).inode : this.inodes.get(ino)
  }

  private directory(ino: number): Directory {
    return directory(this.inodes.get(ino))
  }

  /** The regular file open as `fh`, if it was opened for `use`; EBADF otherwise. */
  private fileOpenFor(fh: number, use: 'reading' | 'writing'): RegularFile {
    const file = this.handles.get(fh)
    if (!(use === 'reading' ? file.readable : file.writable)) throw new FsError('EBADF', `handle ${fh} is not open for ${use}`)
    return regular(file.inode)
  }

  private xattrsOf(inode: Inode): XattrStore {
    return inode.xattrs ?? this.noXattrs
  }
}

function directory(inode: Inode): Directory {
  if (inode instanceof Directory) return inode
  throw new FsError('ENOTDIR', `inode ${inode.ino} is not a directory`)
}

function regular(inode: Inode): RegularFile {
  if (inode instanceof RegularFile) return inode
  throw new FsError(inode instanceof Directory ? 'EISDIR' : 'EINVAL', `inode ${inode.ino} is not a regular file`)
}

function checkOffset(offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError('EINVAL', `invalid offset ${offset}`)
  return offset
}

/** A file size: EINVAL for what is no size, EFBIG past the largest file. */
function checkSize(size: number): void {
  if (size > MAX_FILE_SIZE) throw new FsError('EFBIG', `${size} is past the largest file size`)
  checkOffset(size)
}
