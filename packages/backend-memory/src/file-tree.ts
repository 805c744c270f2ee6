import { FsError, type ErrnoName, type Timespec } from '@fusekit/core'
import { Directory, S_ISGID, type Inode, type RegularFile, type SpecialFile, type Symlink } from './inode.js'
import type { InodeTable } from './inode-table.js'
import { baseName, isTooLong } from './names.js'

const SLASH = 0x2f

/**
 * The namespace: path lookup and the operations that add, remove and move names, keeping link
 * counts and directory times as POSIX says. Paths are resolved without following symlinks: the
 * kernel resolves them before it asks.
 */
export class FileTree {
  readonly root: Directory

  constructor(
    private readonly inodes: InodeTable,
    /** Owner of new inodes: the binding does not tell who the caller is. */
    private readonly uid: number,
    private readonly gid: number,
    now: Timespec,
  ) {
    this.root = inodes.directory(0o755, uid, gid, now)
  }

  /** The inode at `path` (or at its prefix up to `end`). */
  lookup(path: string, end: number = path.length): Inode {
    if (path.charCodeAt(0) !== SLASH) throw new FsError('EINVAL', `not an absolute path: ${path}`)
    let node: Inode = this.root
    let start = 1
    while (start < end) {
      let stop = path.indexOf('/', start)
      if (stop === -1 || stop > end) stop = end
      if (stop > start) {
        if (!(node instanceof Directory)) throw new FsError('ENOTDIR', path)
        node = this.entry(node, path.slice(start, stop), path)
      }
      start = stop + 1
    }
    return node
  }

  /** The directory that holds the last component of `path`; `atRoot` is the error for "/" itself. */
  parentOf(path: string, atRoot: ErrnoName): Directory {
    if (path.length <= 1) throw new FsError(atRoot, path)
    const slash = path.lastIndexOf('/')
    const parent = slash === 0 ? this.root : this.lookup(path, slash)
    if (!(parent instanceof Directory)) throw new FsError('ENOTDIR', path)
    return parent
  }

  createFile(path: string, mode: number, now: Timespec): RegularFile {
    const parent = this.vacantParent(path)
    return this.add(parent, path, this.inodes.file(mode, this.uid, this.groupIn(parent), now), now)
  }

  createDirectory(path: string, mode: number, now: Timespec): Directory {
    const parent = this.vacantParent(path)
    // A set-group-ID directory passes its group, and the bit, down to new directories.
    const inherited = parent.mode & S_ISGID
    return this.add(parent, path, this.inodes.directory(mode | inherited, this.uid, this.groupIn(parent), now, parent), now)
  }

  createSymlink(path: string, target: string, now: Timespec): Symlink {
    const parent = this.vacantParent(path)
    return this.add(parent, path, this.inodes.symlink(target, this.uid, this.groupIn(parent), now), now)
  }

  createSpecial(path: string, mode: number, rdev: number, now: Timespec): SpecialFile {
    const parent = this.vacantParent(path)
    return this.add(parent, path, this.inodes.special(mode, rdev, this.uid, this.groupIn(parent), now), now)
  }

  link(existing: string, path: string, now: Timespec): void {
    const inode = this.lookup(existing)
    if (inode instanceof Directory) throw new FsError('EPERM', `${existing} is a directory: directories cannot be hard-linked`)
    const parent = this.vacantParent(path)
    inode.nlink++
    inode.changed(now)
    this.add(parent, path, inode, now)
  }

  unlink(path: string, now: Timespec): void {
    const parent = this.parentOf(path, 'EISDIR')
    const name = baseName(path)
    const inode = this.entry(parent, name, path)
    if (inode instanceof Directory) throw new FsError('EISDIR', path)
    this.remove(parent, name, inode, now)
  }

  rmdir(path: string, now: Timespec): void {
    const parent = this.parentOf(path, 'EBUSY')
    const name = baseName(path)
    const dir = this.entry(parent, name, path)
    if (!(dir instanceof Directory)) throw new FsError('ENOTDIR', path)
    if (dir.entries.size > 0) throw new FsError('ENOTEMPTY', path)
    this.remove(parent, name, dir, now)
  }

  /** rename(2): replaces an existing target atomically; all checks come before any change. */
  rename(from: string, to: string, now: Timespec): void {
    const fromParent = this.parentOf(from, 'EBUSY')
    const fromName = baseName(from)
    const source = this.entry(fromParent, fromName, from)
    const toParent = this.parentOf(to, 'EBUSY')
    const toName = baseName(to)
    checkNewName(toName, to)
    const target = toParent.entries.get(toName)
    // The same path, or two names of one file: POSIX says do nothing.
    if (target === source) return
    if (source instanceof Directory) {
      if (source.contains(toParent)) throw new FsError('EINVAL', `cannot move ${from} into itself (${to})`)
      if (target !== undefined && !(target instanceof Directory)) throw new FsError('ENOTDIR', `${to} is not a directory`)
      if (target instanceof Directory && target.entries.size > 0) throw new FsError('ENOTEMPTY', to)
    } else if (target instanceof Directory) {
      throw new FsError('EISDIR', `${to} is a directory`)
    }

    if (target !== undefined) this.remove(toParent, toName, target, now)
    fromParent.detach(fromName, source)
    toParent.attach(toName, source)
    source.changed(now)
    fromParent.modified(now)
    toParent.modified(now)
  }

  private entry(dir: Directory, name: string, path: string): Inode {
    const inode = dir.entries.get(name)
    if (inode !== undefined) return inode
    throw isTooLong(name) ? new FsError('ENAMETOOLONG', `a name is at most 255 bytes: ${path}`) : new FsError('ENOENT')
  }

  /** The parent of `path`, after checking that its last component is free to be created. */
  private vacantParent(path: string): Directory {
    const parent = this.parentOf(path, 'EEXIST')
    const name = baseName(path)
    checkNewName(name, path)
    if (parent.entries.has(name)) throw new FsError('EEXIST', path)
    return parent
  }

  private add<T extends Inode>(parent: Directory, path: string, inode: T, now: Timespec): T {
    parent.attach(baseName(path), inode)
    parent.modified(now)
    return inode
  }

  private remove(parent: Directory, name: string, inode: Inode, now: Timespec): void {
    parent.detach(name, inode)
    parent.modified(now)
    inode.nlink = inode instanceof Directory ? 0 : inode.nlink - 1
    inode.changed(now)
    this.inodes.releaseIfUnused(inode)
  }

  private groupIn(parent: Directory): number {
    return parent.mode & S_ISGID ? parent.gid : this.gid
  }
}

function checkNewName(name: string, path: string): void {
  if (name === '' || name === '.' || name === '..') throw new FsError('EEXIST', path)
  if (isTooLong(name)) throw new FsError('ENAMETOOLONG', `a name is at most 255 bytes: ${path}`)
}
