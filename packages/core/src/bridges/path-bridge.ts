import { Errno, FsError } from '../errno.js'
import { RenameFlags, SetattrValid, type Created, type Entry, type InodeDirEntry, type InodeListing, type InodeOperations, type MaybePromise, type SetattrRequest } from '../inode-operations.js'
import type { Operations, RequestName } from '../operations.js'
import type { RequestContext } from '../request-context.js'
import { entryIdentity, type DirEntry, type Stat, type StatVfs } from '../types.js'
import { PathNodes } from './path-nodes.js'

/** chown's "leave unchanged". */
const UNCHANGED_ID = 0xffff_ffff

/**
 * The path layer over the inode layer, as libfuse's fuse.c sits over fuse_lowlevel.c: a node
 * table turns node ids into paths, and each inode-layer request becomes the path operations that
 * answer it (a mkdir is mkdir + getattr; a setattr is chmod, chown, truncate and utimens).
 */
class PathBridge {
  private readonly nodes = new PathNodes()
  /** Open file handles per node: an unlinked file is still reached through one of them. */
  private readonly openHandles = new Map<number, number[]>()

  constructor(private readonly ops: Operations) {}

  init(): Promise<void> {
    return this.ops.init?.() ?? Promise.resolve()
  }

  destroy(): Promise<void> {
    return this.ops.destroy?.() ?? Promise.resolve()
  }

  lookup(ctx: RequestContext, parent: number, name: string): MaybePromise<Entry> {
    const attr = this.ops.getattr(ctx, this.childPath(parent, name))
    // The node is counted only once the name is found.
    if (attr instanceof Promise) return attr.then((found) => ({ ino: this.nodes.lookup(parent, name), attr: found }))
    return { ino: this.nodes.lookup(parent, name), attr }
  }

  forget(ino: number, nlookup: number): void {
    this.nodes.forget(ino, nlookup)
  }

  getattr(ctx: RequestContext, ino: number, fh?: number): MaybePromise<Stat> {
    return this.ops.getattr(ctx, this.path(ino), fh ?? this.handleOf(ino))
  }

  async setattr(ctx: RequestContext, ino: number, request: SetattrRequest): Promise<Stat> {
    const path = this.path(ino)
    const { valid } = request
    const fh = request.fh ?? this.handleOf(ino)
    if (valid & SetattrValid.MODE) await this.call('chmod').call(this.ops, ctx, path, request.mode, fh)
    if (valid & (SetattrValid.UID | SetattrValid.GID)) {
      const uid = valid & SetattrValid.UID ? request.uid : UNCHANGED_ID
      const gid = valid & SetattrValid.GID ? request.gid : UNCHANGED_ID
      await this.call('chown').call(this.ops, ctx, path, uid, gid, fh)
    }
    if (valid & SetattrValid.SIZE) await this.call('truncate').call(this.ops, ctx, path, request.size, fh)
    if (valid & (SetattrValid.ATIME | SetattrValid.MTIME)) {
      const atime = valid & SetattrValid.ATIME ? request.atime : undefined
      const mtime = valid & SetattrValid.MTIME ? request.mtime : undefined
      await this.call('utimens').call(this.ops, ctx, path, atime, mtime, fh)
    }
    return this.ops.getattr(ctx, path, fh)
  }

  access(ctx: RequestContext, ino: number, mask: number): Promise<void> {
    return this.call('access').call(this.ops, ctx, this.path(ino), mask)
  }

  statfs(ctx: RequestContext, ino: number): Promise<StatVfs> {
    return this.call('statfs').call(this.ops, ctx, this.path(ino))
  }

  readlink(ctx: RequestContext, ino: number): Promise<string> {
    return this.call('readlink').call(this.ops, ctx, this.path(ino))
  }

  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number): Promise<Entry> {
    return this.made(ctx, parent, name, (path) => this.call('mknod').call(this.ops, ctx, path, mode, rdev))
  }

  mkdir(ctx: RequestContext, parent: number, name: string, mode: number): Promise<Entry> {
    return this.made(ctx, parent, name, (path) => this.call('mkdir').call(this.ops, ctx, path, mode))
  }

  symlink(ctx: RequestContext, target: string, parent: number, name: string): Promise<Entry> {
    return this.made(ctx, parent, name, (path) => this.call('symlink').call(this.ops, ctx, target, path))
  }

  link(ctx: RequestContext, ino: number, newParent: number, newName: string): Promise<Entry> {
    return this.made(ctx, newParent, newName, (path) => this.call('link').call(this.ops, ctx, this.path(ino), path))
  }

  async unlink(ctx: RequestContext, parent: number, name: string): Promise<void> {
    await this.call('unlink').call(this.ops, ctx, this.childPath(parent, name))
    this.nodes.remove(parent, name)
  }

  async rmdir(ctx: RequestContext, parent: number, name: string): Promise<void> {
    await this.call('rmdir').call(this.ops, ctx, this.childPath(parent, name))
    this.nodes.remove(parent, name)
  }

  async rename(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): Promise<void> {
    await this.call('rename').call(this.ops, ctx, this.childPath(parent, name), this.childPath(newParent, newName), flags)
    if (flags & RenameFlags.EXCHANGE) this.nodes.exchange(parent, name, newParent, newName)
    else this.nodes.rename(parent, name, newParent, newName)
  }

  async open(ctx: RequestContext, ino: number, flags: number): Promise<number> {
    const fh = (await this.call('open').call(this.ops, ctx, this.path(ino), flags)) ?? 0
    this.opened(ino, fh)
    return fh
  }

  async create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number): Promise<Created> {
    const path = this.childPath(parent, name)
    const fh = (await this.call('create').call(this.ops, ctx, path, mode, flags)) ?? 0
    const attr = await this.ops.getattr(ctx, path, fh)
    const ino = this.nodes.lookup(parent, name)
    this.opened(ino, fh)
    return { ino, attr, fh }
  }

  read(ctx: RequestContext, ino: number, fh: number, buffer: Buffer, position: number): MaybePromise<number> {
    return this.call('read').call(this.ops, ctx, this.path(ino), fh, buffer, position)
  }

  write(ctx: RequestContext, ino: number, fh: number, buffer: Buffer, position: number): Promise<number> {
    return this.call('write').call(this.ops, ctx, this.path(ino), fh, buffer, position)
  }

  flush(ctx: RequestContext, ino: number, fh: number): Promise<void> {
    return this.call('flush').call(this.ops, ctx, this.path(ino), fh)
  }

  async release(ctx: RequestContext, ino: number, fh: number): Promise<void> {
    this.closed(ino, fh)
    await this.ops.release?.(ctx, this.path(ino), fh)
  }

  fsync(ctx: RequestContext, ino: number, fh: number, datasync: boolean): Promise<void> {
    return this.call('fsync').call(this.ops, ctx, this.path(ino), datasync, fh)
  }

  fallocate(ctx: RequestContext, ino: number, fh: number, mode: number, offset: number, length: number): Promise<void> {
    return this.call('fallocate').call(this.ops, ctx, this.path(ino), fh, mode, offset, length)
  }

  lseek(ctx: RequestContext, ino: number, fh: number, offset: number, whence: number): Promise<number> {
    return this.call('lseek').call(this.ops, ctx, this.path(ino), fh, offset, whence)
  }

  copyFileRange(ctx: RequestContext, inoIn: number, fhIn: number, offIn: number, inoOut: number, fhOut: number, offOut: number, length: number, flags: number): Promise<number> {
    return this.call('copyFileRange').call(this.ops, ctx, this.path(inoIn), fhIn, offIn, this.path(inoOut), fhOut, offOut, length, flags)
  }

  async opendir(ctx: RequestContext, ino: number, flags: number): Promise<number> {
    return (await this.call('opendir').call(this.ops, ctx, this.path(ino), flags)) ?? 0
  }

  async readdir(ctx: RequestContext, ino: number, fh: number, offset: number, withStats: boolean): Promise<InodeListing> {
    const entries = await this.call('readdir').call(this.ops, ctx, this.path(ino), fh, withStats)
    const listing = this.listed(ino, entries, offset, withStats)
    // Past the first buffer the kernel may go on without stats: the same entries, no node made for each.
    return withStats ? Object.assign(listing, { withoutStats: (from: number) => this.listed(ino, entries, from, false) }) : listing
  }

  /** The backend's entries from `offset`; an entry with stats becomes a node only when drawn. */
  private *listed(parent: number, entries: readonly DirEntry[], offset: number, withStats: boolean): Generator<InodeDirEntry> {
    for (let i = offset; i < entries.length; i++) {
      const entry = entries[i] as DirEntry
      const { ino, type } = entryIdentity(entry)
      const dots = entry.name === '.' || entry.name === '..'
      const node = withStats && !dots && entry.stat ? { ino: this.nodes.lookup(parent, entry.name), attr: entry.stat } : undefined
      yield { name: entry.name, ino, type, entry: node }
    }
  }

  releasedir(ctx: RequestContext, ino: number, fh: number): Promise<void> {
    return this.call('releasedir').call(this.ops, ctx, this.path(ino), fh)
  }

  fsyncdir(ctx: RequestContext, ino: number, fh: number, datasync: boolean): Promise<void> {
    return this.call('fsyncdir').call(this.ops, ctx, this.path(ino), datasync, fh)
  }

  setxattr(ctx: RequestContext, ino: number, name: string, value: Buffer, flags: number): Promise<void> {
    return this.call('setxattr').call(this.ops, ctx, this.path(ino), name, value, flags)
  }

  getxattr(ctx: RequestContext, ino: number, name: string): Promise<Buffer> {
    return this.call('getxattr').call(this.ops, ctx, this.path(ino), name)
  }

  listxattr(ctx: RequestContext, ino: number): Promise<string[]> {
    return this.call('listxattr').call(this.ops, ctx, this.path(ino))
  }

  removexattr(ctx: RequestContext, ino: number, name: string): Promise<void> {
    return this.call('removexattr').call(this.ops, ctx, this.path(ino), name)
  }

  backingFd(fh: number): number | undefined {
    return this.ops.backingFd?.(fh)
  }

  /** A name just made by `make`: its attributes, and a node for it. */
  private async made(ctx: RequestContext, parent: number, name: string, make: (path: string) => Promise<void>): Promise<Entry> {
    const path = this.childPath(parent, name)
    await make(path)
    const attr = await this.ops.getattr(ctx, path)
    return { ino: this.nodes.lookup(parent, name), attr }
  }

  /** The backend's operation; one it lacks is ENOSYS (the kernel's default follows). */
  private call<K extends RequestName>(name: K): NonNullable<Operations[K]> {
    const op = this.ops[name]
    if (typeof op !== 'function') throw new FsError(Errno.ENOSYS)
    return op as NonNullable<Operations[K]>
  }

  private opened(ino: number, fh: number): void {
    const handles = this.openHandles.get(ino)
    if (handles) handles.push(fh)
    else this.openHandles.set(ino, [fh])
  }

  private closed(ino: number, fh: number): void {
    const handles = this.openHandles.get(ino)
    const index = handles?.indexOf(fh) ?? -1
    if (!handles || index < 0) return
    handles.splice(index, 1)
    if (handles.length === 0) this.openHandles.delete(ino)
  }

  /** A handle for a request that came without one: only an unlinked node needs it (fstat). */
  private handleOf(ino: number): number | undefined {
    return this.nodes.isDetached(ino) ? this.openHandles.get(ino)?.[0] : undefined
  }

  private path(ino: number): string {
    const path = this.nodes.path(ino)
    if (path === undefined) throw new FsError(Errno.ESTALE)
    return path
  }

  private childPath(parent: number, name: string): string {
    const path = this.nodes.childPath(parent, name)
    if (path === undefined) throw new FsError(Errno.ESTALE)
    return path
  }
}

/**
 * The path operations each inode-layer operation is built from: it is offered to the kernel only
 * when the backend has one of them, so that a missing one keeps the kernel's default (create
 * falls back to mknod + open, xattrs answer EOPNOTSUPP, flush counts as done, ...).
 */
const BUILT_FROM: Readonly<Record<keyof InodeOperations, 'always' | readonly RequestName[] | 'backingFd'>> = {
  init: 'always',
  destroy: 'always',
  lookup: 'always',
  forget: 'always',
  getattr: 'always',
  setattr: ['chmod', 'chown', 'truncate', 'utimens'],
  access: ['access'],
  statfs: ['statfs'],
  readlink: ['readlink'],
  mknod: ['mknod'],
  mkdir: ['mkdir'],
  symlink: ['symlink'],
  link: ['link'],
  unlink: ['unlink'],
  rmdir: ['rmdir'],
  rename: ['rename'],
  open: ['open'],
  create: ['create'],
  read: ['read'],
  // Nothing: a path backend's read fills the driver's buffer.
  readSlices: [],
  write: ['write'],
  flush: ['flush'],
  // Nothing: a path backend's flush is asked at every close.
  flushNeeded: [],
  // The bridge keeps its handles per node until release, whether the backend has one or not.
  release: ['open', 'create', 'release'],
  fsync: ['fsync'],
  fallocate: ['fallocate'],
  lseek: ['lseek'],
  copyFileRange: ['copyFileRange'],
  opendir: ['opendir'],
  readdir: ['readdir'],
  releasedir: ['releasedir'],
  fsyncdir: ['fsyncdir'],
  setxattr: ['setxattr'],
  getxattr: ['getxattr'],
  listxattr: ['listxattr'],
  removexattr: ['removexattr'],
  backingFd: 'backingFd',
}

/** The inode-layer operations that serve a path-layer backend. */
export function bridgePathOperations(ops: Operations): InodeOperations {
  const bridge = new PathBridge(ops)
  const out: Record<string, unknown> = {}
  for (const [name, from] of Object.entries(BUILT_FROM)) {
    const offered = from === 'always' || (from === 'backingFd' ? typeof ops.backingFd === 'function' : from.some((n) => typeof ops[n] === 'function'))
    if (offered) out[name] = (bridge[name as keyof PathBridge] as (...a: unknown[]) => unknown).bind(bridge)
  }
  return out as unknown as InodeOperations
}
