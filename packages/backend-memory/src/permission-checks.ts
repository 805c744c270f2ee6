import { readFileSync } from 'node:fs'
import { FileType, FsError, MAY_EXEC, MAY_READ, MAY_WRITE, OpenFlags, SetattrValid, callerIsRoot, inGroup, ownsOrRoot, permits, type RequestContext, type SetattrRequest } from '@fusekit/core'
import { S_ISGID, S_ISUID, S_ISVTX, type Directory, type Inode } from './inode.js'

/** The open flag of an exec (__FMODE_EXEC): execute permission is asked instead of read. */
const FMODE_EXEC = 0o40
const { ATIME, MTIME, ATIME_NOW, MTIME_NOW, SIZE, MODE, UID, GID } = SetattrValid
/** utimensat with both times "now" (or none given): Linux's ATTR_TOUCH, allowed to writers. */
const TOUCH = ATIME | ATIME_NOW | MTIME | MTIME_NOW

/**
 * The permission checks that Linux makes in the VFS through the filesystem's permission
 * callback or setattr_prepare, which a FUSE mount without default_permissions leaves to the
 * filesystem: search, create and delete in directories (with the sticky bit), open, truncate,
 * chmod, chown, utimens and xattrs, answered as tmpfs answers them. With default_permissions
 * the kernel makes them itself and the backend needs none of this.
 */
export class PermissionChecks {
  /** Looking a name up needs search permission on the directory. */
  search(ctx: RequestContext, dir: Directory): void {
    if (!permits(ctx, dir, MAY_EXEC)) throw new FsError('EACCES', `no search permission on directory ${dir.ino}`)
  }

  /** Adding a name: write and search permission on the directory. */
  addName(ctx: RequestContext, dir: Directory): void {
    if (!permits(ctx, dir, MAY_WRITE | MAY_EXEC)) throw new FsError('EACCES', `no write permission on directory ${dir.ino}`)
  }

  /**
   * Removing a name of `victim` (unlink, rmdir, a rename's source or the entry it replaces):
   * write permission on the directory, and in a sticky one ownership of the entry or the
   * directory (EPERM).
   */
  removeName(ctx: RequestContext, dir: Directory, victim: Inode): void {
    this.addName(ctx, dir)
    if (dir.mode & S_ISVTX && ctx.uid !== victim.uid && ctx.uid !== dir.uid && !callerIsRoot(ctx)) {
      throw new FsError('EPERM', `directory ${dir.ino} is sticky: only the owner of an entry or of the directory removes it`)
    }
  }

  /**
   * A hard link to a file of another user, with fs.protected_hardlinks on (as most systems
   * have it): only to one the caller may read and write (EPERM). The kernel checks the rest of
   * that rule itself (a regular file, neither set-user-ID nor executable set-group-ID).
   */
  link(ctx: RequestContext, inode: Inode): void {
    if (ownsOrRoot(ctx, inode) || permits(ctx, inode, MAY_READ | MAY_WRITE) || !hardlinksProtected()) return
    throw new FsError('EPERM', `inode ${inode.ino} belongs to another user, who did not let the caller read and write it`)
  }

  /** A directory moved to another parent: its ".." changes, which needs write permission on it. */
  reparent(ctx: RequestContext, dir: Directory): void {
    if (!permits(ctx, dir, MAY_WRITE)) throw new FsError('EACCES', `no write permission on directory ${dir.ino}, whose ".." would change`)
  }

  /** open(2) and opendir: what the access mode asks (execute for an exec), and write for O_TRUNC. */
  open(ctx: RequestContext, inode: Inode, flags: number): void {
    const access = flags & OpenFlags.O_ACCMODE
    let mask = flags & FMODE_EXEC ? MAY_EXEC : access === OpenFlags.O_RDONLY ? MAY_READ : access === OpenFlags.O_WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE
    if (flags & OpenFlags.O_TRUNC) mask |= MAY_WRITE
    if (!permits(ctx, inode, mask)) throw new FsError('EACCES', `inode ${inode.ino} may not be opened with flags 0o${flags.toString(8)}`)
  }

  /**
   * setattr as Linux allows it (do_truncate, notify_change, setattr_prepare), in Linux's order of
   * checks; answers the mode to set: a chmod by an owner outside the file's group loses S_ISGID.
   * A truncate through a handle (ftruncate, O_TRUNC) was checked when the handle was opened, and
   * the times that come with a truncate are its own. A writer that does not own the file may
   * clear S_ISUID and S_ISGID: the kernel asks that after a write or a truncate. `writer`: the
   * request came through a handle open for writing; without a size that is the kernel sending
   * the mtime and ctime of the writes it cached (writeback cache), a write's times.
   */
  setattr(ctx: RequestContext, inode: Inode, request: SetattrRequest, writer: boolean): number {
    const { valid } = request
    const truncating = (valid & SIZE) !== 0
    const times = !truncating && !writer && (valid & (ATIME | MTIME)) !== 0
    const touch = times && (valid & TOUCH) === TOUCH
    if (truncating && request.fh === undefined && !permits(ctx, inode, MAY_WRITE)) throw new FsError('EACCES', `no write permission on inode ${inode.ino}`)
    if (touch && !ownsOrRoot(ctx, inode) && !permits(ctx, inode, MAY_WRITE)) throw new FsError('EACCES', `no write permission on inode ${inode.ino}`)
    if (valid & UID && !callerIsRoot(ctx) && !(ctx.uid === inode.uid && request.uid === inode.uid)) throw new FsError('EPERM', 'only root gives a file away')
    if (valid & GID && !callerIsRoot(ctx) && !(ctx.uid === inode.uid && (request.gid === inode.gid || inGroup(ctx, request.gid)))) {
      throw new FsError('EPERM', `only root, or the owner for one of its own groups, sets group ${request.gid}`)
    }
    let mode = request.mode
    if (valid & MODE) {
      if (!ownsOrRoot(ctx, inode)) {
        if (!clearsSetIdsOnly(inode.mode & 0o7777, mode) || !permits(ctx, inode, MAY_WRITE)) throw new FsError('EPERM', `only the owner changes the mode of inode ${inode.ino}`)
      } else if (!callerIsRoot(ctx) && !inGroup(ctx, valid & GID ? request.gid : inode.gid)) {
        mode &= ~S_ISGID
      }
    }
    if (times && !touch && !ownsOrRoot(ctx, inode)) throw new FsError('EPERM', `only the owner sets the times of inode ${inode.ino}`)
    return mode
  }

  /**
   * Reading or writing an extended attribute (xattr_permission): read or write permission on
   * the file, security.* left to security modules; user.* attributes of a sticky directory are
   * written by its owner only (EPERM).
   */
  xattr(ctx: RequestContext, inode: Inode, name: string, mask: number): void {
    if (name.startsWith('security.')) return
    if (mask & MAY_WRITE && name.startsWith('user.') && inode.type === FileType.S_IFDIR && inode.mode & S_ISVTX && !ownsOrRoot(ctx, inode)) {
      throw new FsError('EPERM', `only the owner sets user.* attributes of sticky directory ${inode.ino}`)
    }
    if (!permits(ctx, inode, mask)) throw new FsError('EACCES', `no permission for attribute ${name} of inode ${inode.ino}`)
  }
}

/** The fs.protected_hardlinks sysctl, read when needed (off when unreadable, as the kernel's own default). */
function hardlinksProtected(): boolean {
  try {
    return readFileSync('/proc/sys/fs/protected_hardlinks', 'latin1').trim() !== '0'
  } catch {
    return false
  }
}

/** Whether going from `from` to `to` clears S_ISUID or S_ISGID and changes nothing else. */
function clearsSetIdsOnly(from: number, to: number): boolean {
  const cleared = from & ~to
  return (to & ~from) === 0 && cleared !== 0 && (cleared & ~(S_ISUID | S_ISGID)) === 0
}
