import { FsError, RenameFlags, orThrow, type RequestContext, type Timespec } from '@fusekit/core'
import { Directory, S_ISGID, type Inode, type RegularFile, type SpecialFile, type Symlink } from './inode.js'
import type { InodeTable, Owner } from './inode-table.js'
import { isTooLong } from './names.js'
import type { PermissionChecks } from './permission-checks.js'

const { NOREPLACE, EXCHANGE } = RenameFlags

/**
 * The namespace: names in directories and the operations that add, remove and move them,
 * keeping link counts and directory times as tmpfs does, with Linux's errors in Linux's order.
 * Permissions are checked here only when the backend checks them (see PermissionChecks).
 */
export class FileTree {
  readonly root: Directory

  constructor(
    private readonly inodes: InodeTable,
    private readonly checks: PermissionChecks | undefined,
    rootOwner: Owner,
    now: Timespec,
  ) {
    this.root = inodes.directory(0o755, rootOwner, now)
  }

  /** The inode named `name` in `dir`, or the error to answer: returned, as a miss is common (before every create) and a throw costs. */
  find(ctx: RequestContext, dir: Directory, name: string): Inode | FsError {
    this.checks?.search(ctx, dir)
    const inode = dir.entries.get(name)
    if (inode !== undefined) return inode
    return isTooLong(name) ? new FsError('ENAMETOOLONG', `a name is at most 255 bytes: ${name}`) : FsError.of('ENOENT')
  }

  /** The inode named `name` in `dir`. */
  child(ctx: RequestContext, dir: Directory, name: string): Inode {
    return orThrow(this.find(ctx, dir, name))
  }

  makeFile(ctx: RequestContext, dir: Directory, name: string, mode: number, now: Timespec): RegularFile {
    return this.add(dir, name, this.inodes.file(mode, this.vacant(ctx, dir, name), now), now)
  }

  makeDirectory(ctx: RequestContext, dir: Directory, name: string, mode: number, now: Timespec): Directory {
    const owner = this.vacant(ctx, dir, name)
    // A set-group-ID directory passes the bit down to new directories (and its group, see vacant).
    return this.add(dir, name, this.inodes.directory(mode | (dir.mode & S_ISGID), owner, now, dir), now)
  }

  makeSymlink(ctx: RequestContext, dir: Directory, name: string, target: string, now: Timespec): Symlink {
    return this.add(dir, name, this.inodes.symlink(target, this.vacant(ctx, dir, name), now), now)
  }

  makeSpecial(ctx: RequestContext, dir: Directory, name: string, mode: number, rdev: number, now: Timespec): SpecialFile {
    return this.add(dir, name, this.inodes.special(mode, rdev, this.vacant(ctx, dir, name), now), now)
  }

  /** A new name for `inode`: one inode, one more link. */
  link(ctx: RequestContext, inode: Inode, dir: Directory, name: string, now: Timespec): void {
    this.vacant(ctx, dir, name)
    this.checks?.link(ctx, inode)
    if (inode instanceof Directory) throw new FsError('EPERM', 'directories cannot be hard-linked')
    // An unlinked file (reached through a handle) cannot be given a name again.
    if (inode.nlink === 0) throw new FsError('ENOENT', `inode ${inode.ino} has no name left`)
    inode.nlink++
    inode.changed(now)
    this.add(dir, name, inode, now)
  }

  unlink(ctx: RequestContext, dir: Directory, name: string, now: Timespec): void {
    const inode = this.child(ctx, dir, name)
    this.checks?.removeName(ctx, dir, inode)
    if (inode instanceof Directory) throw new FsError('EISDIR', name)
    this.remove(dir, name, inode, now)
  }

  rmdir(ctx: RequestContext, dir: Directory, name: string, now: Timespec): void {
    const inode = this.child(ctx, dir, name)
    this.checks?.removeName(ctx, dir, inode)
    if (!(inode instanceof Directory)) throw new FsError('ENOTDIR', name)
    if (inode.entries.size > 0) throw new FsError('ENOTEMPTY', name)
    this.remove(dir, name, inode, now)
  }

  /**
   * renameat2(2): replaces an existing target atomically (unless NOREPLACE), or swaps two names
   * (EXCHANGE); all checks come before any change.
   */
  rename(ctx: RequestContext, fromDir: Directory, fromName: string, toDir: Directory, toName: string, flags: number, now: Timespec): void {
    if (flags & ~(NOREPLACE | EXCHANGE) || flags === (NOREPLACE | EXCHANGE)) throw new FsError('EINVAL', `rename flags ${flags} are not supported`)
    const exchange = (flags & EXCHANGE) !== 0
    const source = this.child(ctx, fromDir, fromName)
    this.checks?.search(ctx, toDir)
    checkNewName(toName)
    const target = toDir.entries.get(toName)
    if (target !== undefined && flags & NOREPLACE) throw new FsError('EEXIST', toName)
    if (target === undefined && exchange) throw new FsError('ENOENT', toName)
    if (source instanceof Directory && source.contains(toDir)) throw new FsError('EINVAL', `cannot move ${fromName} into itself`)
    if (target instanceof Directory && target.contains(fromDir)) throw new FsError(exchange ? 'EINVAL' : 'ENOTEMPTY', toName)
    // Two names of one file: POSIX says do nothing.
    if (source === target) return
    this.checks?.removeName(ctx, fromDir, source)
    if (target !== undefined) this.checks?.removeName(ctx, toDir, target)
    else this.checkCreatable(ctx, toDir)
    if (!exchange && target !== undefined) {
      if (source instanceof Directory && !(target instanceof Directory)) throw new FsError('ENOTDIR', `${toName} is not a directory`)
      if (!(source instanceof Directory) && target instanceof Directory) throw new FsError('EISDIR', `${toName} is a directory`)
    }
    if (fromDir !== toDir) {
      if (source instanceof Directory) this.checks?.reparent(ctx, source)
      if (exchange && target instanceof Directory) this.checks?.reparent(ctx, target)
    }
    if (!exchange && target instanceof Directory && target.entries.size > 0) throw new FsError('ENOTEMPTY', toName)

    fromDir.detach(fromName, source)
    if (target !== undefined && exchange) {
      toDir.detach(toName, target)
      fromDir.attach(fromName, target)
      target.changed(now)
    } else if (target !== undefined) {
      this.remove(toDir, toName, target, now)
    }
    toDir.attach(toName, source)
    source.changed(now)
    fromDir.modified(now)
    toDir.modified(now)
  }

  /** Checks that the caller may make `name` in `dir`; answers who the new inode belongs to. */
  private vacant(ctx: RequestContext, dir: Directory, name: string): Owner {
    this.checks?.search(ctx, dir)
    checkNewName(name)
    if (dir.entries.has(name)) throw new FsError('EEXIST', name)
    this.checkCreatable(ctx, dir)
    // In a set-group-ID directory, new inodes take its group.
    return { uid: ctx.uid, gid: dir.mode & S_ISGID ? dir.gid : ctx.gid }
  }

  /** A name can be added to `dir`: it still exists, and the caller may write it. */
  private checkCreatable(ctx: RequestContext, dir: Directory): void {
    if (dir.nlink === 0) throw new FsError('ENOENT', `directory ${dir.ino} was removed`)
    this.checks?.addName(ctx, dir)
  }

  private add<T extends Inode>(dir: Directory, name: string, inode: T, now: Timespec): T {
    dir.attach(name, inode)
    dir.modified(now)
    return inode
  }

  private remove(dir: Directory, name: string, inode: Inode, now: Timespec): void {
    dir.detach(name, inode)
    dir.modified(now)
    inode.nlink = inode instanceof Directory ? 0 : inode.nlink - 1
    inode.changed(now)
    this.inodes.releaseIfUnused(inode)
  }
}

function checkNewName(name: string): void {
  if (name === '' || name === '.' || name === '..') throw new FsError('EEXIST', name)
  if (isTooLong(name)) throw new FsError('ENAMETOOLONG', `a name is at most 255 bytes: ${name}`)
}
