import { Errno, FsError, orThrow } from '../errno.js'
import { ROOT_INO, SetattrValid, type Entry, type InodeOperations, type MaybePromise, type SetattrRequest } from '../inode-operations.js'
import type { Operations, RequestName } from '../operations.js'
import type { RequestContext } from '../request-context.js'
import type { DirEntry, Stat, StatVfs, Timespec } from '../types.js'

const UNCHANGED_ID = 0xffff_ffff
const NO_TIME: Timespec = { sec: 0, nsec: 0 }

/**
 * The inode layer under the path layer, for fuse-native (libfuse 2's high-level API speaks
 * paths only): each path is resolved by lookups from the root, and those lookups are forgotten
 * when the call is done. An open handle holds its node until release, so that a file keeps
 * working through it after a rename or unlink.
 */
class InodePaths {
  /** The node behind each open handle (files and directories), with one lookup held. */
  private readonly handleNodes = new Map<number, number>()

  constructor(private readonly inodes: InodeOperations) {}

  init(): Promise<void> {
    return this.inodes.init?.() ?? Promise.resolve()
  }

  destroy(): Promise<void> {
    return this.inodes.destroy?.() ?? Promise.resolve()
  }

  getattr(ctx: RequestContext, path: string, fh?: number): Promise<Stat> {
    return this.onNode(ctx, path, fh, (ino) => this.inodes.getattr(ctx, ino, fh))
  }

  access(ctx: RequestContext, path: string, mode: number): Promise<void> {
    return this.onNode(ctx, path, undefined, (ino) => this.op('access')(ctx, ino, mode))
  }

  statfs(ctx: RequestContext, path: string): Promise<StatVfs> {
    return this.onNode(ctx, path, undefined, (ino) => this.op('statfs')(ctx, ino))
  }

  readlink(ctx: RequestContext, path: string): Promise<string> {
    return this.onNode(ctx, path, undefined, (ino) => this.op('readlink')(ctx, ino))
  }

  opendir(ctx: RequestContext, path: string, flags: number): Promise<number> {
    return this.opening(ctx, path, (ino) => this.op('opendir')(ctx, ino, flags))
  }

  readdir(ctx: RequestContext, path: string, fh: number): Promise<DirEntry[]> {
    return this.onNode(ctx, path, fh, async (ino) => {
      const entries: DirEntry[] = []
      for (const { name, ino: entryIno, type } of await this.op('readdir')(ctx, ino, fh, 0, false)) entries.push({ name, ino: entryIno, type })
      return entries
    })
  }

  releasedir(ctx: RequestContext, path: string, fh: number): Promise<void> {
    return this.closing(fh, (ino) => this.inodes.releasedir?.(ctx, ino, fh))
  }

  fsyncdir(ctx: RequestContext, path: string, datasync: boolean, fh: number): Promise<void> {
    return this.onNode(ctx, path, fh, (ino) => this.op('fsyncdir')(ctx, ino, fh, datasync))
  }

  open(ctx: RequestContext, path: string, flags: number): Promise<number> {
    return this.opening(ctx, path, (ino) => this.op('open')(ctx, ino, flags))
  }

  create(ctx: RequestContext, path: string, mode: number, flags: number): Promise<number> {
    return this.inParent(ctx, path, async (parent, name) => {
      const { ino, fh } = await this.op('create')(ctx, parent, name, mode, flags)
      this.hold(fh, ino)
      return fh
    })
  }

  read(ctx: RequestContext, path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    return this.onNode(ctx, path, fh, (ino) => this.op('read')(ctx, ino, fh, buffer, position))
  }

  write(ctx: RequestContext, path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    return this.onNode(ctx, path, fh, (ino) => this.op('write')(ctx, ino, fh, buffer, position))
  }

  flush(ctx: RequestContext, path: string, fh: number): Promise<void> {
    return this.onNode(ctx, path, fh, (ino) => this.op('flush')(ctx, ino, fh))
  }

  release(ctx: RequestContext, path: string, fh: number): Promise<void> {
    return this.closing(fh, (ino) => this.inodes.release?.(ctx, ino, fh))
  }

  fsync(ctx: RequestContext, path: string, datasync: boolean, fh: number): Promise<void> {
    return this.onNode(ctx, path, fh, (ino) => this.op('fsync')(ctx, ino, fh, datasync))
  }

  fallocate(ctx: RequestContext, path: string, fh: number, mode: number, offset: number, length: number): Promise<void> {
    return this.onNode(ctx, path, fh, (ino) => this.op('fallocate')(ctx, ino, fh, mode, offset, length))
  }

  lseek(ctx: RequestContext, path: string, fh: number, offset: number, whence: number): Promise<number> {
    return this.onNode(ctx, path, fh, (ino) => this.op('lseek')(ctx, ino, fh, offset, whence))
  }

  copyFileRange(ctx: RequestContext, pathIn: string, fhIn: number, offIn: number, pathOut: string, fhOut: number, offOut: number, length: number, flags: number): Promise<number> {
    return this.onNode(ctx, pathIn, fhIn, (inoIn) =>
      this.onNode(ctx, pathOut, fhOut, (inoOut) => this.op('copyFileRange')(ctx, inoIn, fhIn, offIn, inoOut, fhOut, offOut, length, flags)),
    )
  }

  truncate(ctx: RequestContext, path: string, size: number, fh?: number): Promise<void> {
    return this.setattr(ctx, path, fh, { valid: SetattrValid.SIZE, size })
  }

  chmod(ctx: RequestContext, path: string, mode: number, fh?: number): Promise<void> {
    return this.setattr(ctx, path, fh, { valid: SetattrValid.MODE, mode })
  }

  chown(ctx: RequestContext, path: string, uid: number, gid: number, fh?: number): Promise<void> {
    const valid = (uid === UNCHANGED_ID || uid === -1 ? 0 : SetattrValid.UID) | (gid === UNCHANGED_ID || gid === -1 ? 0 : SetattrValid.GID)
    return this.setattr(ctx, path, fh, { valid, uid, gid })
  }

  utimens(ctx: RequestContext, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, fh?: number): Promise<void> {
    const valid = (atime ? SetattrValid.ATIME : 0) | (mtime ? SetattrValid.MTIME : 0)
    return this.setattr(ctx, path, fh, { valid, atime, mtime })
  }

  mknod(ctx: RequestContext, path: string, mode: number, rdev: number): Promise<void> {
    return this.making(ctx, path, (parent, name) => this.op('mknod')(ctx, parent, name, mode, rdev))
  }

  mkdir(ctx: RequestContext, path: string, mode: number): Promise<void> {
    return this.making(ctx, path, (parent, name) => this.op('mkdir')(ctx, parent, name, mode))
  }

  symlink(ctx: RequestContext, target: string, linkPath: string): Promise<void> {
    return this.making(ctx, linkPath, (parent, name) => this.op('symlink')(ctx, target, parent, name))
  }

  link(ctx: RequestContext, existing: string, newPath: string): Promise<void> {
    return this.onNode(ctx, existing, undefined, (ino) => this.making(ctx, newPath, (parent, name) => this.op('link')(ctx, ino, parent, name)))
  }

  unlink(ctx: RequestContext, path: string): Promise<void> {
    return this.inParent(ctx, path, (parent, name) => this.op('unlink')(ctx, parent, name))
  }

  rmdir(ctx: RequestContext, path: string): Promise<void> {
    return this.inParent(ctx, path, (parent, name) => this.op('rmdir')(ctx, parent, name))
  }

  rename(ctx: RequestContext, from: string, to: string, flags: number): Promise<void> {
    return this.inParent(ctx, from, (parent, name) => this.inParent(ctx, to, (newParent, newName) => this.op('rename')(ctx, parent, name, newParent, newName, flags)))
  }

  setxattr(ctx: RequestContext, path: string, name: string, value: Buffer, flags: number): Promise<void> {
    return this.onNode(ctx, path, undefined, (ino) => this.op('setxattr')(ctx, ino, name, value, flags))
  }

  getxattr(ctx: RequestContext, path: string, name: string): Promise<Buffer> {
    return this.onNode(ctx, path, undefined, async (ino) => orThrow(await this.op('getxattr')(ctx, ino, name)))
  }

  listxattr(ctx: RequestContext, path: string): Promise<string[]> {
    return this.onNode(ctx, path, undefined, (ino) => this.op('listxattr')(ctx, ino))
  }

  removexattr(ctx: RequestContext, path: string, name: string): Promise<void> {
    return this.onNode(ctx, path, undefined, (ino) => this.op('removexattr')(ctx, ino, name))
  }

  private async setattr(ctx: RequestContext, path: string, fh: number | undefined, change: Partial<SetattrRequest> & { valid: number }): Promise<void> {
    const request: SetattrRequest = {
      mode: 0,
      uid: UNCHANGED_ID,
      gid: UNCHANGED_ID,
      size: 0,
      atime: NO_TIME,
      mtime: NO_TIME,
      ctime: NO_TIME,
      ...change,
      valid: change.valid | (fh !== undefined ? SetattrValid.FH : 0),
      fh,
    }
    await this.onNode(ctx, path, fh, (ino) => this.op('setattr')(ctx, ino, request))
  }

  /** Runs `use` on the node of an open handle, or of `path` resolved for the call. */
  private async onNode<T>(ctx: RequestContext, path: string, fh: number | undefined, use: (ino: number) => MaybePromise<T>): Promise<T> {
    const held = fh === undefined ? undefined : this.handleNodes.get(fh)
    if (held !== undefined) return use(held)
    const ino = await this.resolve(ctx, path)
    try {
      return await use(ino)
    } finally {
      this.release1(ino)
    }
  }

  /** Runs `use` with the parent directory's node and the last name of `path`. */
  private async inParent<T>(ctx: RequestContext, path: string, use: (parent: number, name: string) => MaybePromise<T>): Promise<T> {
    const slash = path.lastIndexOf('/')
    const name = path.slice(slash + 1)
    if (name === '') throw new FsError(Errno.EEXIST)
    return this.onNode(ctx, slash <= 0 ? '/' : path.slice(0, slash), undefined, (parent) => use(parent, name))
  }

  /** A call that makes a name: the Entry's lookup is given back at once. */
  private making(ctx: RequestContext, path: string, make: (parent: number, name: string) => MaybePromise<Entry>): Promise<void> {
    return this.inParent(ctx, path, async (parent, name) => this.release1((await make(parent, name)).ino))
  }

  /** An open or opendir: the handle keeps the node (and its lookup) until it is released. */
  private async opening(ctx: RequestContext, path: string, open: (ino: number) => MaybePromise<number | void>): Promise<number> {
    const ino = await this.resolve(ctx, path)
    try {
      const fh = (await open(ino)) ?? 0
      if (fh !== 0) return this.hold(fh, ino)
      this.release1(ino)
      return 0
    } catch (error) {
      this.release1(ino)
      throw error
    }
  }

  private async closing(fh: number, close: (ino: number) => MaybePromise<void> | undefined): Promise<void> {
    const ino = this.handleNodes.get(fh)
    if (ino === undefined) return
    this.handleNodes.delete(fh)
    try {
      await close(ino)
    } finally {
      this.release1(ino)
    }
  }

  private hold(fh: number, ino: number): number {
    if (fh !== 0) this.handleNodes.set(fh, ino)
    else this.release1(ino)
    return fh
  }

  /** Walks `path` from the root; the lookups of every node but the last are given back on the way. */
  private async resolve(ctx: RequestContext, path: string): Promise<number> {
    let ino = ROOT_INO
    for (const name of path.split('/')) {
      if (name === '') continue
      const parent = ino
      try {
        ino = orThrow(await this.inodes.lookup(ctx, parent, name)).ino
      } finally {
        if (parent !== ROOT_INO) this.release1(parent)
      }
    }
    return ino
  }

  private release1(ino: number): void {
    if (ino !== ROOT_INO) this.inodes.forget?.(ino, 1)
  }

  /** The inode operation; one the backend lacks is ENOSYS. */
  private op<K extends keyof InodeOperations>(name: K): NonNullable<InodeOperations[K]> {
    const op = this.inodes[name]
    if (typeof op !== 'function') throw new FsError(Errno.ENOSYS)
    return (op as (...a: unknown[]) => unknown).bind(this.inodes) as NonNullable<InodeOperations[K]>
  }
}

/**
 * The inode operations each path operation is built from: a path operation is offered to
 * fuse-native only when the backend has what it needs, so that libfuse keeps its own default
 * for the rest (create falls back to mknod + open, and so on).
 */
const BUILT_FROM: Readonly<Record<RequestName | 'init' | 'destroy', 'always' | ReadonlyArray<keyof InodeOperations>>> = {
  init: 'always',
  destroy: 'always',
  getattr: 'always',
  access: ['access'],
  statfs: ['statfs'],
  readlink: ['readlink'],
  opendir: ['opendir'],
  readdir: ['readdir'],
  releasedir: ['opendir', 'releasedir'],
  fsyncdir: ['fsyncdir'],
  open: ['open'],
  create: ['create'],
  read: ['read'],
  write: ['write'],
  flush: ['flush'],
  release: ['open', 'create', 'release'],
  fsync: ['fsync'],
  fallocate: ['fallocate'],
  lseek: ['lseek'],
  copyFileRange: ['copyFileRange'],
  truncate: ['setattr'],
  chmod: ['setattr'],
  chown: ['setattr'],
  utimens: ['setattr'],
  mknod: ['mknod'],
  mkdir: ['mkdir'],
  symlink: ['symlink'],
  link: ['link'],
  unlink: ['unlink'],
  rmdir: ['rmdir'],
  rename: ['rename'],
  setxattr: ['setxattr'],
  getxattr: ['getxattr'],
  listxattr: ['listxattr'],
  removexattr: ['removexattr'],
}

/** The path-layer operations that serve an inode-layer backend through fuse-native. */
export function pathsOverInodes(inodes: InodeOperations): Operations {
  const bridge = new InodePaths(inodes)
  const out: Record<string, unknown> = {}
  for (const [name, from] of Object.entries(BUILT_FROM)) {
    if (from !== 'always' && !from.some((n) => typeof inodes[n] === 'function')) continue
    out[name] = (bridge[name as keyof InodePaths] as (...a: unknown[]) => unknown).bind(bridge)
  }
  return out as unknown as Operations
}
