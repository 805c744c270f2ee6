import {
  BACKEND_OPTIONS,
  FileType,
  FsError,
  LOGGER,
  OpenFlags,
  Timespec,
  type DirEntry,
  type Logger,
  type Operations,
  type Stat,
  type StatVfs,
} from '@fusekit/core'
import { inject, injectable } from 'tsyringe'
import { Capacity } from './capacity.js'
import { PAGE_SIZE } from './file-content.js'
import { FileTree } from './file-tree.js'
import { HandleTable, OpenFile } from './handle-table.js'
import { Directory, RegularFile, SpecialFile, Symlink, type Inode } from './inode.js'
import { inodeLimit } from './inode-limit.js'
import { InodeTable } from './inode-table.js'
import { NAME_MAX, PATH_MAX } from './names.js'
import type { MemoryOptions } from './options.js'
import { XattrStore } from './xattrs.js'

/** chown's "leave unchanged": -1, which arrives as an unsigned 32-bit value. */
const UNCHANGED_ID = 0xffff_ffff

/**
 * A POSIX filesystem held in memory, as a fusekit backend. Every operation is synchronous work
 * on in-memory structures; nothing here awaits.
 */
@injectable()
export class MemoryFileSystem implements Operations {
  private readonly capacity: Capacity
  private readonly inodes: InodeTable
  private readonly tree: FileTree
  private readonly handles = new HandleTable()
  /** Answers xattr reads for inodes that never had one. */
  private readonly noXattrs: XattrStore

  constructor(
    @inject(BACKEND_OPTIONS) options: MemoryOptions,
    @inject(LOGGER) private readonly logger: Logger,
  ) {
    this.capacity = new Capacity(options.size)
    this.inodes = new InodeTable(this.capacity, inodeLimit(options.size))
    this.noXattrs = new XattrStore(this.capacity)
    // The binding gives no caller identity: new inodes belong to whoever mounted.
    this.tree = new FileTree(this.inodes, process.getuid?.() ?? 0, process.getgid?.() ?? 0, Timespec.now())
  }

  async init(): Promise<void> {
    this.logger.debug(`memory: capacity ${this.capacity.total} bytes, at most ${this.inodes.limit} inodes`)
  }

  async getattr(path: string): Promise<Stat> {
    return this.tree.lookup(path).stat()
  }

  async fgetattr(_path: string, fh: number): Promise<Stat> {
    return this.handles.get(fh).inode.stat()
  }

  async statfs(_path: string): Promise<StatVfs> {
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

  async readdir(path: string): Promise<DirEntry[]> {
    const dir = this.tree.lookup(path)
    if (!(dir instanceof Directory)) throw new FsError('ENOTDIR', path)
    const entries: DirEntry[] = [
      { name: '.', stat: dir.stat() },
      { name: '..', stat: dir.parent.stat() },
    ]
    for (const [name, inode] of dir.entries) entries.push({ name, stat: inode.stat() })
    dir.accessed(Timespec.now())
    return entries
  }

  async open(path: string, flags: number): Promise<number> {
    const inode = this.tree.lookup(path)
    const file = new OpenFile(inode, flags)
    if (inode instanceof Directory) {
      if (file.writable || flags & OpenFlags.O_TRUNC) throw new FsError('EISDIR', `${path} is a directory: it cannot be opened for writing`)
    } else if (inode instanceof Symlink) {
      throw new FsError('ELOOP', `${path} is a symlink`)
    } else if (inode instanceof SpecialFile) {
      throw new FsError('ENXIO', `${path} is a special file: the kernel opens those itself`)
    } else if (flags & OpenFlags.O_TRUNC) {
      // Linux truncates even for O_RDONLY|O_TRUNC (the kernel checked write permission).
      this.resize(regular(inode), 0)
    }
    return this.handles.add(file)
  }

  async create(path: string, mode: number): Promise<number> {
    const file = this.tree.createFile(path, mode, Timespec.now())
    return this.handles.add(new OpenFile(file, OpenFlags.O_RDWR))
  }

  async read(_path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    const file = this.handles.get(fh)
    if (!file.readable) throw new FsError('EBADF', `handle ${fh} is not open for reading`)
    const inode = regular(file.inode)
    const count = inode.content.read(buffer, checkOffset(position))
    inode.accessed(Timespec.now())
    return count
  }

  async write(_path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    const file = this.handles.get(fh)
    if (!file.writable) throw new FsError('EBADF', `handle ${fh} is not open for writing`)
    const inode = regular(file.inode)
    inode.content.write(buffer, checkOffset(position))
    inode.modified(Timespec.now())
    return buffer.length
  }

  async release(_path: string, fh: number): Promise<void> {
    this.inodes.releaseIfUnused(this.handles.remove(fh).inode)
  }

  async truncate(path: string, size: number): Promise<void> {
    this.resize(regular(this.tree.lookup(path)), size)
  }

  // Not restricted to writable handles: open(O_RDONLY|O_TRUNC) truncates through its own handle.
  async ftruncate(_path: string, fh: number, size: number): Promise<void> {
    this.resize(regular(this.handles.get(fh).inode), size)
  }

  async chmod(path: string, mode: number): Promise<void> {
    const inode = this.tree.lookup(path)
    inode.mode = (inode.mode & FileType.S_IFMT) | (mode & 0o7777)
    inode.changed(Timespec.now())
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    const inode = this.tree.lookup(path)
    if (uid !== -1 && uid !== UNCHANGED_ID) inode.uid = uid
    if (gid !== -1 && gid !== UNCHANGED_ID) inode.gid = gid
    inode.changed(Timespec.now())
  }

  async utimens(path: string, atime: Timespec | undefined, mtime: Timespec | undefined): Promise<void> {
    const inode = this.tree.lookup(path)
    if (atime !== undefined) inode.atime = atime
    if (mtime !== undefined) inode.mtime = mtime
    inode.changed(Timespec.now())
  }

  async mknod(path: string, mode: number, rdev: number): Promise<void> {
    const now = Timespec.now()
    switch (mode & FileType.S_IFMT) {
      case 0:
      case FileType.S_IFREG:
        this.tree.createFile(path, mode, now)
        return
      case FileType.S_IFIFO:
      case FileType.S_IFSOCK:
        this.tree.createSpecial(path, mode & (FileType.S_IFMT | 0o7777), 0, now)
        return
      case FileType.S_IFCHR:
      case FileType.S_IFBLK:
        this.tree.createSpecial(path, mode & (FileType.S_IFMT | 0o7777), rdev, now)
        return
      case FileType.S_IFDIR:
        throw new FsError('EPERM', 'mknod cannot make directories: use mkdir')
      default:
        throw new FsError('EINVAL', `mknod: unknown file type in mode 0o${mode.toString(8)}`)
    }
  }

  async mkdir(path: string, mode: number): Promise<void> {
    this.tree.createDirectory(path, mode, Timespec.now())
  }

  async rmdir(path: string): Promise<void> {
    this.tree.rmdir(path, Timespec.now())
  }

  async unlink(path: string): Promise<void> {
    this.tree.unlink(path, Timespec.now())
  }

  async rename(from: string, to: string): Promise<void> {
    this.tree.rename(from, to, Timespec.now())
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.tree.link(existing, newPath, Timespec.now())
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    if (target === '') throw new FsError('ENOENT', 'a symlink target cannot be empty')
    if (Buffer.byteLength(target) >= PATH_MAX) throw new FsError('ENAMETOOLONG', `a symlink target is under ${PATH_MAX} bytes`)
    this.tree.createSymlink(linkPath, target, Timespec.now())
  }

  async readlink(path: string): Promise<string> {
    const inode = this.tree.lookup(path)
    if (!(inode instanceof Symlink)) throw new FsError('EINVAL', `${path} is not a symlink`)
    inode.accessed(Timespec.now())
    return inode.target
  }

  async setxattr(path: string, name: string, value: Buffer, flags: number): Promise<void> {
    const inode = this.tree.lookup(path)
    ;(inode.xattrs ??= new XattrStore(this.capacity)).set(name, value, flags)
    inode.changed(Timespec.now())
  }

  async getxattr(path: string, name: string): Promise<Buffer> {
    return this.xattrsOf(this.tree.lookup(path)).get(name)
  }

  async listxattr(path: string): Promise<string[]> {
    return this.xattrsOf(this.tree.lookup(path)).list()
  }

  async removexattr(path: string, name: string): Promise<void> {
    const inode = this.tree.lookup(path)
    this.xattrsOf(inode).remove(name)
    inode.changed(Timespec.now())
  }

  private xattrsOf(inode: Inode): XattrStore {
    return inode.xattrs ?? this.noXattrs
  }

  private resize(inode: RegularFile, size: number): void {
    inode.content.truncate(checkOffset(size))
    inode.modified(Timespec.now())
  }
}

function regular(inode: Inode): RegularFile {
  if (inode instanceof RegularFile) return inode
  throw new FsError(inode instanceof Directory ? 'EISDIR' : 'EINVAL', 'not a regular file')
}

function checkOffset(offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FsError('EINVAL', `invalid offset ${offset}`)
  return offset
}
