import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  ftruncateSync,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  statSync,
  statfsSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { FsError, OpenFlags, type DirEntry, type Operations, type Stat, type StatVfs, type Timespec } from '@fusekit/core'
import { OpenFiles } from './open-files.js'
import { chmodEntry, type SourceRoot } from './source-root.js'
import { makeNode } from './special-files.js'
import { timespecFromNs, toStat, type StatView } from './stat.js'
import { syncFd, sys } from './syscall.js'
import { xattrs } from './xattr.js'

const PERMISSIONS = 0o7777
const BIGINT = { bigint: true } as const
const { O_CREAT, O_EXCL, O_RDWR, O_WRONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY, O_RDONLY, O_DIRECTORY } = constants
// O_CREAT/O_EXCL are the kernel's business before open arrives; O_DIRECT would demand aligned
// buffers the binding does not give. O_NONBLOCK keeps a FIFO or device swapped in for a regular
// file from blocking the mount (regular files ignore it).
const OPEN_DROPPED = O_CREAT | O_EXCL | O_NOCTTY | OpenFlags.O_DIRECT
const OPEN_ADDED = O_NOFOLLOW | O_NONBLOCK

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
 * errno. No call follows a symlink (l* calls, O_NOFOLLOW, and paths walked by SourceRoot), so
 * nothing outside the source is ever reached.
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
    // A failed lookup precedes every create: answer it without Node building a system error.
    const stats = this.source.withEntry(path, (entry) => sys(() => lstatSync(entry, { bigint: true, throwIfNoEntry: false })))
    if (stats === undefined) throw new FsError('ENOENT')
    return toStat(stats, this.view)
  }

  async fgetattr(_path: string, fh: number): Promise<Stat> {
    const fd = this.files.fd(fh)
    return toStat(sys(() => fstatSync(fd, BIGINT)), this.view)
  }

  async access(path: string, mode: number): Promise<void> {
    this.source.withObject(path, (pinned) => sys(() => accessSync(pinned, mode)))
  }

  async statfs(path: string): Promise<StatVfs> {
    const s = this.source.withObject(path, (pinned) => sys(() => statfsSync(pinned)))
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

  async readdir(path: string): Promise<DirEntry[]> {
    return this.source.withDirectory(path, (dir) => {
      const names = sys(() => readdirSync(dir))
      // stat, not lstat: the pinned path is a /proc magic link, stat reaches the directory it names.
      const self = sys(() => statSync(dir, BIGINT))
      // The root's ".." lies outside the source: show the root itself there.
      const parent = path === '/' ? self : sys(() => lstatSync(`${dir}/..`, BIGINT))
      const entries: DirEntry[] = [
        { name: '.', stat: toStat(self, this.view) },
        { name: '..', stat: toStat(parent, this.view) },
      ]
      for (const name of names) {
        try {
          entries.push({ name, stat: toStat(lstatSync(`${dir}/${name}`, BIGINT), this.view) })
        } catch (error) {
          // Gone since the listing: leave it out. Not stat-able (no search permission): list it
          // without stats, which the wiring then drops for every entry, as the kernel needs all or none.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') entries.push({ name })
        }
      }
      return entries
    })
  }

  async fsyncdir(path: string, datasync: boolean): Promise<void> {
    const fd = this.source.withDirectory(path, (dir) => sys(() => openSync(dir, O_RDONLY | O_DIRECTORY)))
    try {
      await syncFd(fd, datasync)
    } finally {
      closeSync(fd)
    }
  }

  async open(path: string, flags: number): Promise<number> {
    if ((flags & OpenFlags.O_ACCMODE) !== O_RDONLY || flags & OpenFlags.O_TRUNC) this.assertWritable()
    const fd = this.source.withEntry(path, (entry) => sys(() => openSync(entry, (flags & ~OPEN_DROPPED) | OPEN_ADDED)))
    return this.files.add(fd)
  }

  async create(path: string, mode: number): Promise<number> {
    this.assertWritable()
    const fd = this.source.withEntry(path, (entry) => {
      try {
        const created = sys(() => openSync(entry, O_CREAT | O_EXCL | O_RDWR | OPEN_ADDED, mode & PERMISSIONS))
        if (mode & this.processUmask) sys(() => fchmodSync(created, mode & PERMISSIONS))
        return created
      } catch (error) {
        // Created by someone else since the kernel's lookup: open it, as O_CREAT without O_EXCL does.
        if ((error as FsError).code !== 'EEXIST') throw error
        return sys(() => openSync(entry, O_RDWR | OPEN_ADDED))
      }
    })
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

  async release(_path: string, fh: number): Promise<void> {
    await this.files.close(fh)
  }

  async fsync(_path: string, datasync: boolean, fh: number): Promise<void> {
    return this.files.use(fh, (fd) => syncFd(fd, datasync))
  }

  async truncate(path: string, size: number): Promise<void> {
    this.assertWritable()
    // truncate(2) would follow a final symlink: open the object itself (ELOOP for a link).
    const fd = this.source.withEntry(path, (entry) => sys(() => openSync(entry, O_WRONLY | OPEN_ADDED)))
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
    // Through the pinned descriptor a symlink is not followed: Linux answers EOPNOTSUPP for it.
    this.source.withObject(path, (pinned) => sys(() => chmodSync(pinned, mode & PERMISSIONS)))
  }

  async chown(path: string, uid: number, gid: number): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => sys(() => lchownSync(entry, uid, gid)))
  }

  async utimens(path: string, atime: Timespec | undefined, mtime: Timespec | undefined): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => {
      // lutimes(2) through Node sets both times: an omitted one keeps its current value.
      const current = atime && mtime ? undefined : sys(() => lstatSync(entry, BIGINT))
      const seconds = (t: Timespec | undefined, ns: bigint | undefined) => toSeconds(t ?? timespecFromNs(ns!))
      sys(() => lutimesSync(entry, seconds(atime, current?.atimeNs), seconds(mtime, current?.mtimeNs)))
    })
  }

  async mknod(path: string, mode: number, rdev: number): Promise<void> {
    this.assertWritable()
    await this.source.withEntry(path, (entry, dirFd, name) => makeNode(entry, dirFd, name, mode, rdev))
  }

  async mkdir(path: string, mode: number): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => {
      sys(() => mkdirSync(entry, mode & PERMISSIONS))
      if (mode & this.processUmask) chmodEntry(entry, mode & PERMISSIONS)
    })
  }

  async rmdir(path: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => sys(() => rmdirSync(entry)))
  }

  async unlink(path: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => sys(() => unlinkSync(entry)))
  }

  async rename(from: string, to: string): Promise<void> {
    this.assertWritable()
    this.source.withEntries(from, to, (a, b) => sys(() => renameSync(a, b)))
  }

  async link(existing: string, newPath: string): Promise<void> {
    this.assertWritable()
    // link(2) does not follow a symlink at `existing`: the new name links the symlink itself.
    this.source.withEntries(existing, newPath, (a, b) => sys(() => linkSync(a, b)))
  }

  async symlink(target: string, linkPath: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(linkPath, (entry) => sys(() => symlinkSync(target, entry)))
  }

  async readlink(path: string): Promise<string> {
    return this.source.withEntry(path, (entry) => sys(() => readlinkSync(entry)))
  }

  async setxattr(path: string, name: string, value: Buffer, flags: number): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => xattrs.set(entry, name, value, flags))
  }

  async getxattr(path: string, name: string): Promise<Buffer> {
    return this.source.withEntry(path, (entry) => xattrs.get(entry, name))
  }

  async listxattr(path: string): Promise<string[]> {
    return this.source.withEntry(path, (entry) => xattrs.list(entry))
  }

  async removexattr(path: string, name: string): Promise<void> {
    this.assertWritable()
    this.source.withEntry(path, (entry) => xattrs.remove(entry, name))
  }

  private assertWritable(): void {
    if (this.readOnly) throw new FsError('EROFS', 'the mount is read-only')
  }
}

/**
 * Seconds as the double Node's utimes takes. libuv cuts the fraction down to whole microseconds,
 * and 0.678 s is 0.677999... as a double: half a microsecond more makes the cut land right.
 */
function toSeconds(t: Timespec): number {
  return t.sec + (t.nsec + 500) / 1e9
}
