import { FsError, type DirEntry, type Operations, type RequestContext, type Stat, type StatVfs, type Timespec } from '@fusekit/core'
import { AttributeChanges } from './attribute-changes.js'
import { FileData } from './file-data.js'
import { linkCount, statOf } from './file-stat.js'
import type { FoundObject } from './object-lookup.js'
import type { MountParts } from './mount-parts.js'
import { Namespace } from './namespace.js'
import { S_IFDIR, S_IFMT } from './object-metadata.js'
import { checkPathLength } from './path-names.js'
import { Renames } from './renames.js'
import { ShutdownUpload } from './shutdown-upload.js'

/** How often uploads that failed are tried again for files nobody has open. */
const RETRY_INTERVAL_MS = 10_000

/** What statfs reports: S3 has no capacity to speak of (1 PiB, all free, as s3fs and rclone say). */
const STATFS: StatVfs = {
  bsize: 4096,
  frsize: 4096,
  blocks: 2 ** 38,
  bfree: 2 ** 38,
  bavail: 2 ** 38,
  files: 2 ** 32,
  ffree: 2 ** 32,
  favail: 2 ** 32,
  fsid: 0,
  flag: 0,
  namemax: 255,
}

/**
 * An S3 bucket (or a prefix of it) as a path-layer filesystem with s3fs-fuse's object layout.
 * Each group of operations has its own class; this one routes the calls, answers stat and
 * listings, and runs the background retry of failed uploads.
 */
export class S3Filesystem implements Operations {
  private readonly data: FileData
  private readonly attributes: AttributeChanges
  private readonly names: Namespace
  private readonly renames: Renames
  private retryTimer: NodeJS.Timeout | undefined

  constructor(private readonly parts: MountParts) {
    this.data = new FileData(parts)
    this.attributes = new AttributeChanges(parts, this.data)
    this.names = new Namespace(parts, this.data)
    this.renames = new Renames(parts, this.data)
  }

  async init(): Promise<void> {
    this.retryTimer = setInterval(() => this.data.retryDirty(), RETRY_INTERVAL_MS)
    this.retryTimer.unref()
  }

  /** At unmount: writes pending directory times, uploads everything not uploaded yet (progress in the log). */
  async destroy(): Promise<void> {
    clearInterval(this.retryTimer)
    await this.parts.directoryTimes.flush()
    await this.parts.store.deletes.flush().catch((error: unknown) => {
      this.parts.logger.warn(`s3: ${this.parts.store.deletes.pending} deletions did not reach S3 before the unmount (${(error as Error).message}): those objects are still in the bucket`)
    })
    await new ShutdownUpload(this.parts, this.data).run()
    const { calls, retries } = this.parts.store.stats
    this.parts.logger.debug(`s3: requests made: ${Object.entries(calls).map(([name, n]) => `${name} ${n}`).join(', ')}; retries ${retries}`)
  }

  /** Answered at once from what the mount knows (an open file, the stat cache); otherwise after a HEAD. */
  getattr(ctx: RequestContext, path: string, fh?: number): Stat | Promise<Stat> {
    const { files, lookup, cache, keys } = this.parts
    const file = fh ? files.handle(fh).file : files.get(path)
    if (file) return statOf(file.ino, file.current(), linkCount(file.attributes, undefined, file.detached))
    checkPathLength(path, keys)
    const statOfFound = (found: FoundObject) => statOf(cache.inodeOf(path), found.attributes, linkCount(found.attributes, cache.subdirectoryCount(path)))
    const known = lookup.known(path)
    if (known === null) throw new FsError('ENOENT')
    return known ? statOfFound(known) : lookup.stat(path, ctx.signal).then(statOfFound)
  }

  async statfs(): Promise<StatVfs> {
    return STATFS
  }

  /**
   * Nothing to open, but answering at all matters: a filesystem without opendir gets the
   * kernel's directory cache, which keeps a listing until the directory's mtime changes, and a
   * directory's mtime in S3 never changes when others add to it.
   */
  async opendir(): Promise<number> {
    return 0
  }

  /**
   * The listing with each entry's inode number, its type where known (directories from the
   * listing, files from a cached stat), and its stat when cached (READDIRPLUS): a stat is never
   * fetched for a listing, but `ls -l` and `find` get the entries stat-ed ahead (ObjectLookup).
   */
  async readdir(ctx: RequestContext, path: string, _fh: number, withStats: boolean): Promise<DirEntry[]> {
    const { files, lookup, cache } = this.parts
    const names = await lookup.listing(path, ctx.signal)
    const base = path === '/' ? '/' : `${path}/`
    const entries: DirEntry[] = []
    for (const listed of names) {
      const directory = listed.endsWith('/')
      // A file and a directory of one name (S3 allows both): the directory is shown.
      if (!directory && names.has(`${listed}/`)) continue
      const name = directory ? listed.slice(0, -1) : listed
      const child = base + name
      const local = files.get(child)
      const ino = local?.ino ?? cache.inodeOf(child)
      const attributes = local?.current() ?? cache.getStat(child)?.attributes
      const type = attributes ? attributes.mode & S_IFMT : directory ? S_IFDIR : 0
      entries.push({ name, ino, type, stat: withStats && attributes ? statOf(ino, attributes, linkCount(attributes, cache.subdirectoryCount(child))) : undefined })
    }
    // New files not uploaded yet, when the listing came from S3 since they were made.
    for (const file of files.childrenOf(path)) {
      const name = file.path.slice(base.length)
      if (!names.has(name)) entries.push({ name, ino: file.ino, type: file.attributes.mode & S_IFMT, stat: withStats ? statOf(file.ino, file.current(), 1) : undefined })
    }
    // By name: a new file not uploaded yet keeps its place once it is, so a
    // seekdir to a telldir offset finds the same entry after an upload.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    return [{ name: '.', type: S_IFDIR }, { name: '..', type: S_IFDIR }, ...entries]
  }

  open(ctx: RequestContext, path: string): Promise<number> {
    return this.data.open(ctx, path)
  }

  create(ctx: RequestContext, path: string, mode: number): Promise<number> {
    checkPathLength(path, this.parts.keys)
    return this.data.create(ctx, path, mode)
  }

  read(ctx: RequestContext, _path: string, fh: number, buffer: Buffer, position: number): number | Promise<number> {
    return this.data.read(ctx, fh, buffer, position)
  }

  write(ctx: RequestContext, _path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    return this.data.write(ctx, fh, buffer, position)
  }

  flush(ctx: RequestContext, _path: string, fh: number): Promise<void> {
    return this.data.flush(ctx, fh)
  }

  fsync(ctx: RequestContext, _path: string, _datasync: boolean, fh: number): Promise<void> {
    return this.data.fsync(ctx, fh)
  }

  release(_ctx: RequestContext, _path: string, fh: number): Promise<void> {
    return this.data.release(fh)
  }

  truncate(ctx: RequestContext, path: string, size: number, fh?: number): Promise<void> {
    return this.data.truncate(ctx, path, size, fh)
  }

  chmod(ctx: RequestContext, path: string, mode: number, fh?: number): Promise<void> {
    return this.attributes.chmod(ctx, path, mode, fh)
  }

  chown(ctx: RequestContext, path: string, uid: number, gid: number, fh?: number): Promise<void> {
    return this.attributes.chown(ctx, path, uid, gid, fh)
  }

  utimens(ctx: RequestContext, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, fh?: number): Promise<void> {
    return this.attributes.utimens(ctx, path, atime, mtime, fh)
  }

  mkdir(ctx: RequestContext, path: string, mode: number): Promise<void> {
    return this.names.mkdir(ctx, path, mode)
  }

  rmdir(ctx: RequestContext, path: string): Promise<void> {
    return this.names.rmdir(ctx, path)
  }

  unlink(ctx: RequestContext, path: string): Promise<void> {
    return this.names.unlink(ctx, path)
  }

  symlink(ctx: RequestContext, target: string, path: string): Promise<void> {
    return this.names.symlink(ctx, target, path)
  }

  readlink(ctx: RequestContext, path: string): Promise<string> {
    return this.names.readlink(ctx, path)
  }

  mknod(ctx: RequestContext, path: string, mode: number): Promise<void> {
    return this.names.mknod(ctx, path, mode)
  }

  rename(ctx: RequestContext, from: string, to: string, flags: number): Promise<void> {
    return this.renames.rename(ctx, from, to, flags)
  }

  /** S3 has no hard links. */
  async link(): Promise<void> {
    throw new FsError('EPERM', 'S3 has no hard links')
  }
}
