import { FsError, Timespec, type RequestContext } from '@fusekit/core'
import type { FileData } from './file-data.js'
import { parentOf } from './metadata-cache.js'
import { recordGone, recordPresent, type MountParts } from './mount-parts.js'
import { contentTypeFor, encodeAttributes, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type ObjectAttributes } from './object-metadata.js'
import { checkPathLength } from './path-names.js'

/**
 * Names: directories (marker objects "dir/", as s3fs makes them), symlinks (objects whose body is
 * the target), unlink, and the node types S3 cannot hold. New objects belong to the caller; the
 * parent directory's times follow (DirectoryTimes).
 */
export class Namespace {
  constructor(
    private readonly parts: MountParts,
    private readonly data: FileData,
  ) {}

  async mkdir(ctx: RequestContext, path: string, mode: number): Promise<void> {
    const attributes = this.newAttributes(ctx, S_IFDIR | (mode & 0o7777), 0)
    checkPathLength(path, this.parts.keys)
    await this.parts.store.put(this.parts.keys.dirKey(path), Buffer.alloc(0), {
      metadata: encodeAttributes(attributes),
      contentType: contentTypeFor(attributes.mode),
      signal: ctx.signal,
    })
    recordPresent(this.parts, path, attributes, { plain: true }, true)
    // Its lookup found nothing under it: its listing is known, and empty.
    this.parts.cache.setListing(path, new Set())
    this.parts.directoryTimes.entryChanged(parentOf(path))
  }

  /** Removes a directory: ENOTEMPTY while any key is under its prefix (a marker-less subdirectory too) or a new file in it is not uploaded yet. */
  async rmdir(ctx: RequestContext, path: string): Promise<void> {
    if (path === '/') throw new FsError('EBUSY')
    const marker = this.parts.keys.dirKey(path)
    if (this.parts.files.beneath(path).length > 0 || (await this.parts.lookup.hasKeysUnder(path, marker, ctx.signal))) {
      throw new FsError('ENOTEMPTY')
    }
    await this.parts.directoryTimes.settle(path)
    await this.parts.store.delete(marker, { signal: ctx.signal })
    recordGone(this.parts, path, true)
    this.parts.directoryTimes.entryChanged(parentOf(path))
  }

  /**
   * Deletes the object: at once for this mount, in S3 with the next batch of deletions
   * (DeferredDeletes), so that `rm -rf` waits for no request. A file still open here lives on
   * locally until its last close.
   */
  async unlink(ctx: RequestContext, path: string): Promise<void> {
    const file = this.parts.files.get(path)
    if (file) await this.data.keepForHandles(file, ctx.signal)
    this.parts.store.deleteSoon(this.parts.keys.fileKey(path))
    recordGone(this.parts, path)
    this.parts.directoryTimes.entryChanged(parentOf(path))
  }

  async symlink(ctx: RequestContext, target: string, path: string): Promise<void> {
    checkPathLength(path, this.parts.keys)
    const body = Buffer.from(target)
    const attributes = this.newAttributes(ctx, S_IFLNK | 0o777, body.length)
    await this.parts.store.put(this.parts.keys.fileKey(path), body, { metadata: encodeAttributes(attributes), signal: ctx.signal })
    recordPresent(this.parts, path, attributes, { linkTarget: target, plain: true })
    this.parts.directoryTimes.entryChanged(parentOf(path))
  }

  async readlink(ctx: RequestContext, path: string): Promise<string> {
    const found = await this.parts.lookup.stat(path, ctx.signal)
    if ((found.attributes.mode & S_IFMT) !== S_IFLNK) throw new FsError('EINVAL')
    if (found.linkTarget !== undefined) return found.linkTarget
    const target = (await this.parts.store.get(this.parts.keys.fileKey(path), { signal: ctx.signal })).toString('utf8')
    this.parts.cache.setStat(path, found.attributes, { etag: found.etag, linkTarget: target, plain: found.plain })
    return target
  }

  /** Regular files only: S3 has no FIFOs, sockets or devices (EPERM, as for a filesystem without them). */
  async mknod(ctx: RequestContext, path: string, mode: number): Promise<void> {
    if ((mode & S_IFMT) !== S_IFREG) throw new FsError('EPERM', 'S3 holds regular files, directories and symlinks only')
    checkPathLength(path, this.parts.keys)
    const attributes = this.newAttributes(ctx, mode, 0)
    await this.parts.store.put(this.parts.keys.fileKey(path), Buffer.alloc(0), { metadata: encodeAttributes(attributes), signal: ctx.signal })
    recordPresent(this.parts, path, attributes, { plain: true })
    this.parts.directoryTimes.entryChanged(parentOf(path))
  }

  private newAttributes(ctx: RequestContext, mode: number, size: number): ObjectAttributes {
    const now = Timespec.now()
    return { mode, uid: ctx.uid, gid: ctx.gid, size, mtime: now, ctime: now, atime: now }
  }
}
