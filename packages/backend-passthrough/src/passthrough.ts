import { closeSync, constants, readSync, writeSync } from 'node:fs'
import {
  Errno,
  FileType,
  FsError,
  OpenFlags,
  orThrow,
  SetattrValid,
  splitSeconds,
  type Created,
  type Entry,
  type InodeOperations,
  type ListingWriter,
  type MaybePromise,
  type RequestContext,
  type SetattrRequest,
  type Stat,
  type StatVfs,
  type Timespec,
} from '@fusekit/core'
import type { CallerOwnership } from './caller-ownership.js'
import { SourceListing } from './directory-listing.js'
import type { EntryTimeouts, ListedEntries } from './listed-entries.js'
import { OpenFiles } from './open-files.js'
import { AT_REMOVEDIR, answer, calls, check, TIME_NOW, TIME_OMIT } from './source-calls.js'
import type { SourceNode, SourceNodes } from './source-nodes.js'
import type { SourceSetId } from './source-set-id.js'
import { shownStat, statFields, type StatView } from './stat.js'
import { syncFd, sys } from './syscall.js'

const PERMISSIONS = 0o7777
const UNCHANGED_ID = -1
const { O_CREAT, O_EXCL, O_NOCTTY, O_RDONLY, O_TRUNC } = constants
// O_CREAT, O_EXCL and O_NOCTTY are the kernel's business before open arrives. O_DIRECT would
// demand aligned buffers the drivers do not give: such handles are served from the source's
// page cache, as bindfs does.
const OPEN_DROPPED = O_CREAT | O_EXCL | O_NOCTTY | OpenFlags.O_DIRECT
/** The most one copy_file_range moves (Linux's MAX_RW_COUNT): the reply's count is 32-bit. */
const MAX_COPY = 0x7fff_f000
const statfsFields = new Float64Array(11)
const TRUSTED = 'trusted.'

export interface PassthroughSettings {
  nodes: SourceNodes
  view: StatView
  /** Refuse every change with EROFS (the kernel already does under `ro`; this is defence in depth). */
  readOnly: boolean
  owners: CallerOwnership
  setIds: SourceSetId
  /** READDIRPLUS entries the kernel got moments ago, not given again. */
  listed: ListedEntries
  /** What READDIRPLUS entries tell the kernel to cache them for. */
  timeouts: EntryTimeouts
  /** Closing a file on the source's own filesystem reports nothing (closeReportsNothing): its handles need no flush. */
  silentClose: boolean
}

/**
 * The passthrough backend on the inode layer: every node has an O_PATH descriptor of its
 * source inode (SourceNodes, which keep within a budget of descriptors), and every operation
 * acts through it, or through the parent's descriptor and one name, with calls that do not
 * follow a final symlink. No path is ever rebuilt, so nothing is reached outside the source by
 * name, and depth costs nothing. A node's descriptor is taken (nodes.fd) right where it is used:
 * taking another may close it. Operations answer synchronously (their calls are, see sys), all
 * but fsync, fsyncdir and a release waiting for one: the driver replies in the same turn, with no
 * Promise, and does not read /dev/fuse again just to hear EAGAIN.
 */
export class PassthroughInodes implements InodeOperations {
  private readonly files = new OpenFiles()
  private readonly nodes: SourceNodes
  private readonly view: StatView
  private readonly readOnly: boolean
  private readonly owners: CallerOwnership
  private readonly setIds: SourceSetId
  private readonly listed: ListedEntries
  /** What every entry of a listing shares, for the root (whose ".." shows itself) and for the others. */
  private readonly rootListing: Float64Array
  private readonly listing: Float64Array
  private readonly silentClose: boolean

  constructor({ nodes, view, readOnly, owners, setIds, listed, timeouts, silentClose }: PassthroughSettings) {
    this.nodes = nodes
    this.view = view
    this.readOnly = readOnly
    this.owners = owners
    this.setIds = setIds
    this.listed = listed
    this.rootListing = listingSettings(timeouts, view, nodes.root.ino)
    this.listing = listingSettings(timeouts, view, 0)
    this.silentClose = silentClose
  }

  async destroy(): Promise<void> {
    this.files.closeAll()
    this.nodes.closeAll()
  }

  lookup(_ctx: RequestContext, parent: number, name: string): Entry | FsError {
    const dir = this.nodes.get(parent)
    const known = this.nodes.lookupKnown(dir, name, statFields)
    if (known) return this.entry(known)
    const fd = answer(calls.lookupAt(this.nodes.fd(dir), name, statFields))
    return fd instanceof FsError ? fd : this.entry(this.nodes.adopt(fd, statFields, dir, name))
  }

  forget(ino: number, nlookup: number): void {
    this.nodes.forget(ino, nlookup)
  }

  getattr(_ctx: RequestContext, ino: number, fh?: number): Stat {
    return this.statOf(fh ? this.files.fd(fh) : this.nodes.fd(this.nodes.get(ino)))
  }

  /**
   * Through the open handle when the change came through one (fchmod, ftruncate, futimens keep
   * working on an unlinked file), else through the node. The set-id bits the caller's chown or
   * truncate clears go too (SourceSetId.modeAfterSetattr, decided before anything changes). The
   * mode is set after the owner and the size, so that it is the one that stays.
   */
  setattr(ctx: RequestContext, ino: number, request: SetattrRequest): Stat {
    this.assertWritable()
    const { valid } = request
    const handle = valid & SetattrValid.FH && request.fh ? this.files.fd(request.fh) : undefined
    const fd = handle ?? this.nodes.fd(this.nodes.get(ino))
    const byDescriptor = handle !== undefined
    const mode = this.setIds.modeAfterSetattr(ctx, fd, request)
    if (valid & (SetattrValid.UID | SetattrValid.GID)) {
      check(calls.setOwner(fd, valid & SetattrValid.UID ? request.uid : UNCHANGED_ID, valid & SetattrValid.GID ? request.gid : UNCHANGED_ID))
    }
    if (valid & SetattrValid.SIZE) check(calls.setSize(fd, request.size, byDescriptor))
    if (mode !== undefined) check(calls.setMode(fd, mode, byDescriptor))
    if (valid & (SetattrValid.ATIME | SetattrValid.MTIME)) {
      const [atimeSec, atimeNsec] = timeArgument(valid, SetattrValid.ATIME, SetattrValid.ATIME_NOW, request.atime)
      const [mtimeSec, mtimeNsec] = timeArgument(valid, SetattrValid.MTIME, SetattrValid.MTIME_NOW, request.mtime)
      check(calls.setTimes(fd, atimeSec, atimeNsec, mtimeSec, mtimeNsec))
    }
    return this.statOf(fd)
  }

  access(_ctx: RequestContext, ino: number, mask: number): void {
    check(calls.access(this.nodes.fd(this.nodes.get(ino)), mask))
  }

  statfs(_ctx: RequestContext, ino: number): StatVfs {
    const f = statfsFields
    check(calls.statFilesystem(this.nodes.fd(this.nodes.get(ino)), f))
    return { bsize: f[0]!, frsize: f[1]!, blocks: f[2]!, bfree: f[3]!, bavail: f[4]!, files: f[5]!, ffree: f[6]!, favail: f[7]!, fsid: f[8]!, flag: f[9]!, namemax: f[10]! }
  }

  readlink(_ctx: RequestContext, ino: number): string {
    const node = this.nodes.get(ino)
    if (node.type !== FileType.S_IFLNK) throw new FsError('EINVAL', `node ${ino} is not a symlink`)
    return check(calls.readLink(this.nodes.fd(node)))
  }

  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): Entry {
    this.assertWritable()
    // A mode without a type makes a regular file, as mknod(2) does.
    const typed = mode & FileType.S_IFMT ? mode : mode | FileType.S_IFREG
    const [uid, gid] = this.owners.idsFor(ctx)
    const dir = this.nodes.get(parent)
    return this.made(dir, name, calls.mknodAt(this.nodes.fd(dir), name, typed, rdev, uid, gid, statFields))
  }

  mkdir(ctx: RequestContext, parent: number, name: string, mode: number): Entry {
    this.assertWritable()
    const [uid, gid] = this.owners.idsFor(ctx)
    const dir = this.nodes.get(parent)
    return this.made(dir, name, calls.mknodAt(this.nodes.fd(dir), name, FileType.S_IFDIR | (mode & PERMISSIONS), 0, uid, gid, statFields))
  }

  symlink(ctx: RequestContext, target: string, parent: number, name: string): Entry {
    this.assertWritable()
    const [uid, gid] = this.owners.idsFor(ctx)
    const dir = this.nodes.get(parent)
    return this.made(dir, name, calls.symlinkAt(target, this.nodes.fd(dir), name, uid, gid, statFields))
  }

  link(_ctx: RequestContext, ino: number, newParent: number, newName: string): Entry {
    this.assertWritable()
    const node = this.nodes.get(ino)
    const dir = this.nodes.get(newParent)
    check(calls.linkAt(...this.nodes.fds(node, dir), newName))
    check(calls.statFd(this.nodes.fd(node), statFields))
    return this.entry(this.nodes.hold(node, dir, newName))
  }

  unlink(_ctx: RequestContext, parent: number, name: string): void {
    this.assertWritable()
    const dir = this.nodes.get(parent)
    check(calls.unlinkAt(this.nodes.fd(dir), name, 0))
    this.nodes.removed(dir, name)
  }

  rmdir(_ctx: RequestContext, parent: number, name: string): void {
    this.assertWritable()
    const dir = this.nodes.get(parent)
    check(calls.unlinkAt(this.nodes.fd(dir), name, AT_REMOVEDIR))
    this.nodes.removed(dir, name)
  }

  rename(_ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    this.assertWritable()
    const from = this.nodes.get(parent)
    const to = this.nodes.get(newParent)
    const [fromFd, toFd] = this.nodes.fds(from, to)
    check(calls.renameAt(fromFd, name, toFd, newName, flags))
    this.nodes.renamed(from, name, to, newName, flags)
  }

  /**
   * Reopens the node's inode itself for I/O: regular files only (the kernel opens special files
   * itself). An open by anyone but root clears set-id bits as Linux does (SourceSetId.afterOpen).
   */
  open(ctx: RequestContext, ino: number, flags: number): number {
    const node = this.nodes.get(ino)
    if ((flags & OpenFlags.O_ACCMODE) !== O_RDONLY || flags & O_TRUNC) this.assertWritable()
    assertRegularFile(node)
    const fd = check(calls.reopen(this.nodes.fd(node), flags & ~OPEN_DROPPED))
    try {
      return this.files.add(fd, this.setIds.afterOpen(ctx, fd, flags))
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number): Created {
    this.assertWritable()
    const [uid, gid] = this.owners.idsFor(ctx)
    const dir = this.nodes.get(parent)
    const fd = calls.createAt(this.nodes.fd(dir), name, flags & ~OPEN_DROPPED, mode & PERMISSIONS, uid, gid, statFields)
    // Made by someone else since the kernel's lookup: opened, as O_CREAT without O_EXCL does.
    if (fd === -Errno.EEXIST && !(flags & O_EXCL)) return this.openExisting(ctx, parent, name, flags)
    check(fd)
    let node: SourceNode
    try {
      node = this.nodes.adopt(check(calls.pathOf(fd)), statFields, dir, name)
    } catch (error) {
      closeSync(fd)
      throw error
    }
    // Not a spread of the Entry: V8 made a new hidden class for each such object (cp -a: 6% of Node's thread).
    const { ino, attr } = this.entry(node)
    return { ino, attr, fh: this.files.add(fd, this.setIds.writesClear(ctx, flags, statFields[1]!)) }
  }

  read(_ctx: RequestContext, _ino: number, fh: number, buffer: Buffer, position: number): number {
    // On the JS thread like metadata calls (see sys): two thread hand-offs fewer per request.
    const fd = this.files.fd(fh)
    return sys(() => readSync(fd, buffer, 0, buffer.length, position))
  }

  /** Positional; the first write through a handle whose writes clear set-id bits clears them first (SourceSetId). */
  write(ctx: RequestContext, _ino: number, fh: number, buffer: Buffer, position: number): number {
    this.assertWritable()
    const fd = this.files.fd(fh)
    if (this.files.takeSetIdClearing(fh)) this.setIds.clearForWrite(ctx, fd)
    return sys(() => writeSync(fd, buffer, 0, buffer.length, position))
  }

  /**
   * Reads and writes are positional I/O on this descriptor: the kernel or the driver may do them
   * itself, except where writes must clear set-id bits first.
   */
  backingFd(fh: number): number | undefined {
    return this.files.backingFd(fh)
  }

  flush(_ctx: RequestContext, _ino: number, fh: number): void {
    check(calls.flush(this.files.fd(fh)))
  }

  /** Only where a close may report something: a file on another filesystem mounted beneath the source, or a source that may. */
  flushNeeded(ino: number): boolean {
    return !this.silentClose || !this.nodes.onSourceFilesystem(this.nodes.get(ino))
  }

  release(_ctx: RequestContext, _ino: number, fh: number): MaybePromise<void> {
    return this.files.close(fh)
  }

  async fsync(_ctx: RequestContext, _ino: number, fh: number, datasync: boolean): Promise<void> {
    return this.files.use(fh, (fd) => syncFd(fd, datasync))
  }

  fallocate(ctx: RequestContext, _ino: number, fh: number, mode: number, offset: number, length: number): void {
    this.assertWritable()
    const fd = this.files.fd(fh)
    this.setIds.clearForWrite(ctx, fd)
    check(calls.allocate(fd, mode, offset, length))
  }

  lseek(_ctx: RequestContext, _ino: number, fh: number, offset: number, whence: number): number {
    return check(calls.seek(this.files.fd(fh), offset, whence))
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
    this.assertWritable()
    const out = this.files.fd(fhOut)
    this.setIds.clearForWrite(ctx, out)
    return check(calls.copyRange(this.files.fd(fhIn), offsetIn, out, offsetOut, Math.min(length, MAX_COPY), flags))
  }

  readdir(_ctx: RequestContext, ino: number, _fh: number, offset: number, withStats: boolean): ListingWriter {
    const dir = this.nodes.get(ino)
    const settings = dir === this.nodes.root ? this.rootListing : this.listing
    return new SourceListing({ nodes: this.nodes, dir, offset, withStats, listed: this.listed, settings })
  }

  async fsyncdir(_ctx: RequestContext, ino: number, _fh: number, datasync: boolean): Promise<void> {
    const fd = check(calls.openDirectory(this.nodes.fd(this.nodes.get(ino))))
    try {
      await syncFd(fd, datasync)
    } finally {
      closeSync(fd)
    }
  }

  setxattr(_ctx: RequestContext, ino: number, name: string, value: Buffer, flags: number): void {
    this.assertWritable()
    // XATTR_CREATE and XATTR_REPLACE are the source's own, so they hold against other writers.
    check(calls.setXattr(this.nodes.fd(this.nodes.get(ino)), name, value, flags))
  }

  getxattr(_ctx: RequestContext, ino: number, name: string): Buffer | FsError {
    return answer(calls.getXattr(this.nodes.fd(this.nodes.get(ino)), name))
  }

  /**
   * The names as the caller would see them on the source: trusted.* only for root, as Linux lists
   * them (the kernel refuses to get or set them for anyone else, but leaves listing to us).
   */
  listxattr(ctx: RequestContext, ino: number): string[] {
    const names = check(calls.listXattr(this.nodes.fd(this.nodes.get(ino)))).toString('utf8').split('\0')
    return names.filter((n) => n !== '' && (ctx.uid === 0 || !n.startsWith(TRUSTED)))
  }

  removexattr(_ctx: RequestContext, ino: number, name: string): void {
    this.assertWritable()
    check(calls.removeXattr(this.nodes.fd(this.nodes.get(ino)), name))
  }

  /** The Entry of `node`, whose stat was just read into statFields. */
  private entry(node: SourceNode): Entry {
    return { ino: node.id, attr: shownStat(statFields, this.view) }
  }

  /** The Entry of `name` just made in `dir` (an O_PATH descriptor, or -errno). */
  private made(dir: SourceNode, name: string, fd: number): Entry {
    return this.entry(this.nodes.adopt(check(fd), statFields, dir, name))
  }

  private openExisting(ctx: RequestContext, parent: number, name: string, flags: number): Created {
    const { ino, attr } = orThrow(this.lookup(ctx, parent, name))
    try {
      return { ino, attr, fh: this.open(ctx, ino, flags) }
    } catch (error) {
      this.forget(ino, 1)
      throw error
    }
  }

  private statOf(fd: number): Stat {
    check(calls.statFd(fd, statFields))
    return shownStat(statFields, this.view)
  }

  private assertWritable(): void {
    if (this.readOnly) throw new FsError('EROFS', 'the mount is read-only')
  }
}

/**
 * native/directory-calls.c's settings: the entry and attribute timeouts as (sec, nsec), the
 * owner and group shown (-1: the file's own), the permission bits hidden, and what ".." shows
 * (0: getdents64's inode number).
 */
function listingSettings({ entryTimeout, attrTimeout }: EntryTimeouts, view: StatView, dotdot: number): Float64Array {
  const [entrySec, entryNsec] = splitSeconds(entryTimeout)
  const [attrSec, attrNsec] = splitSeconds(attrTimeout)
  return Float64Array.of(entrySec, entryNsec, attrSec, attrNsec, view.uid ?? -1, view.gid ?? -1, view.umask, dotdot)
}

/** open(2) of anything but a regular file is not the backend's to serve. */
function assertRegularFile(node: SourceNode): void {
  if (node.type === FileType.S_IFREG) return
  if (node.type === FileType.S_IFDIR) throw new FsError('EISDIR')
  if (node.type === FileType.S_IFLNK) throw new FsError('ELOOP')
  throw new FsError('ENXIO', 'special files are opened by the kernel itself')
}

/** setTimes' (sec, nsec) for one time of a setattr: kept, the source's "now", or the time given. */
function timeArgument(valid: number, set: number, now: number, time: Timespec): [number, number] {
  if (!(valid & set)) return [0, TIME_OMIT]
  if (valid & now) return [0, TIME_NOW]
  return [time.sec, time.nsec]
}
