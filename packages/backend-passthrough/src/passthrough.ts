import { accessSync, chmodSync, closeSync, constants, fchmodSync, ftruncateSync, readSync, statfsSync, writeSync } from 'node:fs'
import { FileType, FsError, OpenFlags, type DirEntry, type Operations, type Stat, type StatVfs, type Timespec } from '@fusekit/core'
import { OpenFiles } from './open-files.js'
import { calls, check, AT_REMOVEDIR } from './source-calls.js'
import type { SourceRoot } from './source-root.js'
import { statAt, type StatView } from './stat.js'
import { syncFd, sys } from './syscall.js'
import { xattrs } from './xattr.js'

const PERMISSIONS = 0o7777
const { O_CREAT, O_EXCL, O_RDWR, O_WRONLY, O_NONBLOCK, O_NOCTTY, O_RDONLY, O_DIRECTORY } = constants
// O_CREAT/O_EXCL are the kernel's business before open arrives; O_DIRECT would demand aligned
// buffers the binding does not give. O_NONBLOCK keeps a FIFO or device swapped in for a regular
// file from blocking the mount (regular files ignore it).
const OPEN_DROPPED = O_CREAT | O_EXCL | O_NOCTTY | OpenFlags.O_DIRECT
/** The nanoseconds utimensAt reads as "leave this time as it is" (UTIME_OMIT). */
const OMIT = -1

export interface PassthroughSettings {
  source: SourceRoot
  view: StatView
  /** Refuse every change with EROFS (the kernel already does under `ro`; this is defence in depth). */
  readOnly: boolean
  /** This process's umask, which open/mkdir apply on top of the mode the caller asked for. */
  processUmask: number
}

/**
 * The passthrough backend's operations: each maps to the same call on the source, with the real
 * errno. No call follows a symlink (paths resolved by SourceRoot, then *at calls that do not
 * follow a final link, O_NOFOLLOW), so nothing outside the source is ever reached.
 */
export class PassthroughOperations implements Operations {
  private readonly files = new OpenFiles()
  private readonly source: SourceRoot
  private readonly view: StatView
  private readonly readOnly: boolean
  private readonly processUmask: number

  constructor({ source, view, readOnly, processUmask }: PassthroughSettings) {
    this.source = source
    this.view = view
    this.readOnly = readOnly
    this.processUmask = processUmask
  }

  async destroy(): Promise<void> {
    this.files.closeAll()
    this.source.close()
  }

  async getattr(path: string): Promise<Stat> {
    const stat = this.source.withEntry(path, (dir, name) => statAt(dir, name, this.view))
    // A failed lookup precedes every create: answered without building an error on the way.
    if (stat === undefined) throw new FsError('ENOENT')
    return stat
  }

  async fgetattr(_path: string, fh: number): Promise<Stat> {
    const stat = statAt(this.files.fd(fh), '', this.view)
    if (stat === undefined) throw new FsError('ENOENT')
    return stat
  }

  async access(path: string, mode: number): Promise<void> {
    this.source.withObject(path, (object) => sys(() => accessSync(object, mode)))
  }

  async statfs(path: string): Promise<StatVfs> {
    const s = this.source.withObject(path, (object) => sys(() => statfsSync(object)))
    return {
      bsize: s.bsize,
      frsize: s.bsize,
      blocks: s.blocks,
      bfree: s.bfree,
      bavail: s.bavail,
      files: s.files,
      ffree: s.ffree,
      favail: s.ffree,
      fsid: 0,
      flag: 0,
      namemax: 255,
    }
  }

  async readdir(path: string, _fh = 0, withStats = false): Promise<DirEntry[]> {
    return this.source.withDirectory(path, (dir) => {
      // Names with getdents' inode numbers and types: all `ls` and `find` need without a stat.
      const [names, inos, types] = check(calls.readDirectory(dir))
      const self = statAt(dir, '', this.view)
      // The root's ".." lies outside the source: show the root itself there.
      const parent = path === '/' ? self : statAt(dir, '..', this.view)
      const entries: DirEntry[] = [
        { name: '.', ino: self?.ino, type: self && self.mode & FileType.S_IFMT },
        { name: '..', ino: parent?.ino, type: parent && parent.mode & FileType.S_IFMT },
      ]
      for (let i = 0; i < names.length; i++) {
        const entry: DirEntry = { name: names[i]!, ino: inos[i]!, type: types[i]! << 12 }
        if (withStats) {
          // Gone since the listing: left out. Not stat-able: listed with what getdents gave.
          try {
            entry.stat = statAt(dir, entry.name, this.view)
            if (entry.stat === undefined) continue
          } catch {
            // keep the entry without stats
          }
        }
        entries.push(entry)
      }
      return entries
    })
  }

  async fsyncdir(path: string, datasync: boolean): Promise<void> {
    const fd = this.source.open(path, O_RDONLY | O_DIRECTORY)
    try {
      await syncFd(fd, datasync)
    } finally {
      closeSync(fd)
    }
  }

  async open(path: string, flags: number): Promise<number> {
    if ((flags & OpenFlags.O_ACCMODE) !== O_RDONLY || flags & OpenFlags.O_TRUNC) this.assertWritable()
    return this.files.add(this.source.open(path, (flags & ~OPEN_DROPPED) | O_NONBLOCK))
  }

  async create(path: string, mode: number): Promise<number> {
    this.assertWritable()
    let fd: number
    try {
      fd = this.source.open(path, O_CREAT | O_EXCL | O_RDWR | O_NONBLOCK, mode & PERMISSIONS)
      if (mode & this.processUmask) sys(() => fchmodSync(fd, mode & PERMISSIONS))
    } catch (error) {
      // Created by someone else since the kernel's lookup: open it, as O_CREAT without O_EXCL does.
      if ((error as FsError).code !== 'EEXIST') throw error
      fd = this.source.open(path, O_RDWR | O_NONBLOCK)
    }
    return this.files.add(fd)
  }

  async read(_path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    // On the JS thread like metadata calls (see sys): two thread hand-offs fewer per request.
    const fd = this.files.fd(fh)
    return sys(() => readSync(fd, buffer, 0, buffer.length, position))
  }

  async write(_path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    this.assertWritable()
    const fd = this.files.fd(fh)
    return sys(() => writeSync(fd, buffer, 0, buffer.length, position))
  }

  /** Reads and writes are positional I/O on this descriptor: the kernel may do them itself. */
  backingFd(fh: number): number {
    return this.files.fd(fh)
  }

  async release(_path: string, fh: number): Promise<void> {
    await this.files.close(fh)
  }

  async fsync(_path: string, datasync: boolean, fh: number): Promise<void> {
    return this.files.use(fh, (fd) => syncFd(fd, datasync))
  }

  async truncate(path: string, size: number): Promise<void> {
    this.assertWritable()
    // truncate(2) would follow a final symlink: open the object itself (ELOOP for a link).
    const fd = this.source.open(path, O_WRONLY | O_NONBLOCK)
    try {
      sys(() => ftruncateSync(fd, size))
    } finally {
      closeSync(fd)
    }
  }

  async ftruncate(_path: string, fh: number, size: number): Promise<void> {
    this.assertWritable()
    const fd = this.files.fd(fh)
    sys(() => ftruncateSync(fd, size))
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.assertWritable()
    this.setMode(path, mode)
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (dir, name) => check(calls.chownAt(dir, name, uid, gid)))
  }

  async utimens(path: string, atime: Timespec | undefined, mtime: Timespec | undefined): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (dir, name) =>
      check(calls.utimensAt(dir, name, atime?.sec ?? 0, atime?.nsec ?? OMIT, mtime?.sec ?? 0, mtime?.nsec ?? OMIT)),
    )
  }

  async mknod(path: string, mode: number, rdev: number): Promise<void> {
    this.assertWritable()
    // A mode without a type makes a regular file, as mknod(2) does.
    const typed = mode & FileType.S_IFMT ? mode : mode | FileType.S_IFREG
    this.make(path, typed, rdev)
  }

  async mkdir(path: string, mode: number): Promise<void> {
    this.assertWritable()
    this.make(path, FileType.S_IFDIR | (mode & PERMISSIONS), 0)
  }

  async rmdir(path: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (dir, name) => check(calls.unlinkAt(dir, name, AT_REMOVEDIR)))
  }

  async unlink(path: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (dir, name) => check(calls.unlinkAt(dir, name, 0)))
  }

  async rename(from: string, to: string): Promise<void> {
    this.assertWritable()
    this.source.withEntries(from, to, (dirA, nameA, dirB, nameB) => check(calls.renameAt(dirA, nameA, dirB, nameB, 0)))
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.assertWritable()
    // linkat without AT_SYMLINK_FOLLOW: a symlink at `existing` is linked itself.
    this.source.withEntries(existing, newPath, (dirA, nameA, dirB, nameB) => check(calls.linkAt(dirA, nameA, dirB, nameB)))
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(linkPath, (dir, name) => check(calls.symlinkAt(target, dir, name)))
  }

  async readlink(path: string): Promise<string> {
    return this.source.withEntry(path, (dir, name) => check(calls.readlinkAt(dir, name)))
  }

  async setxattr(path: string, name: string, value: Buffer, flags: number): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (dir, entry) => xattrs.set(dir, entry, name, value, flags))
  }

  async getxattr(path: string, name: string): Promise<Buffer> {
    return this.source.withEntry(path, (dir, entry) => xattrs.get(dir, entry, name))
  }

  async listxattr(path: string): Promise<string[]> {
    return this.source.withEntry(path, (dir, entry) => xattrs.list(dir, entry))
  }

  async removexattr(path: string, name: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (dir, entry) => xattrs.remove(dir, entry, name))
  }

  /** mknodat/mkdirat with exactly `mode`: they apply this process's umask on top of the caller's. */
  private make(path: string, mode: number, rdev: number): void {
    this.source.withEntry(path, (dir, name) => check(calls.mknodAt(dir, name, mode, rdev)))
    if (mode & this.processUmask) this.setMode(path, mode)
  }

  /** chmod of the object itself: through its O_PATH descriptor a symlink is not followed (Linux answers EOPNOTSUPP). */
  private setMode(path: string, mode: number): void {
    this.source.withObject(path, (object) => sys(() => chmodSync(object, mode & PERMISSIONS)))
  }

  private assertWritable(): void {
    if (this.readOnly) throw new FsError('EROFS', 'the mount is read-only')
  }
}
