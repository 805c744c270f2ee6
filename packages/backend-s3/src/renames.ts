import { FsError, Timespec, type RequestContext } from '@fusekit/core'
import { forEachConcurrently } from './bounded-pool.js'
import type { FileData } from './file-data.js'
import { isDirectory } from './file-stat.js'
import { nameOf, parentOf, type StatExtras } from './metadata-cache.js'
import { rewriteMetadata } from './metadata-rewrite.js'
import { recordPresent, type MountParts } from './mount-parts.js'
import type { FoundObject } from './object-lookup.js'
import type { ObjectAttributes } from './object-metadata.js'
import type { ListedObject } from './object-store.js'
import { checkPathLength } from './path-names.js'

/** renameat2 flags (linux/fs.h). */
const RENAME_NOREPLACE = 1
const RENAME_EXCHANGE = 2

/** Server-side copies in flight at once while a directory moves. */
const COPY_CONCURRENCY = 16

/**
 * rename(2) and renameat2 with RENAME_NOREPLACE. S3 has no rename: a file is copied by the server
 * to its new key (part by part above 5 GiB) and the old key deleted; a directory is every key
 * under its prefix copied, then all deleted. A file with changes not uploaded is uploaded first,
 * and files open here follow to the new name. Renaming a directory is not atomic: another
 * client sees both trees while the copies run, and a failure part-way leaves the copies made so
 * far beside the intact original (the rename fails; nothing is deleted).
 * RENAME_EXCHANGE cannot be done with copies without a moment where one name is missing: EINVAL.
 */
export class Renames {
  constructor(
    private readonly parts: MountParts,
    private readonly data: FileData,
  ) {}

  async rename(ctx: RequestContext, from: string, to: string, flags: number): Promise<void> {
    if (flags & RENAME_EXCHANGE || flags & ~RENAME_NOREPLACE) throw new FsError('EINVAL', 'S3 cannot swap two names (RENAME_EXCHANGE)')
    checkPathLength(to, this.parts.keys)
    const source = await this.describe(from, ctx.signal)
    if (!source) throw new FsError('ENOENT')
    if (from === to) return
    const target = await this.describe(to, ctx.signal)
    if (target) {
      if (flags & RENAME_NOREPLACE) throw new FsError('EEXIST')
      if (isDirectory(target.attributes) && !isDirectory(source.attributes)) throw new FsError('EISDIR')
      if (!isDirectory(target.attributes) && isDirectory(source.attributes)) throw new FsError('ENOTDIR')
      if (isDirectory(target.attributes) && (this.parts.files.beneath(to).length > 0 || (await this.parts.lookup.hasKeysUnder(to, this.parts.keys.dirKey(to), ctx.signal)))) {
        throw new FsError('ENOTEMPTY')
      }
    }
    if (isDirectory(source.attributes)) await this.moveDirectory(from, to, source, ctx.signal)
    else await this.moveFile(from, to, source, ctx.signal)
  }

  /** What is at `path`: a local file's state first, else the object. */
  private async describe(path: string, signal: AbortSignal): Promise<FoundObject | undefined> {
    const file = this.parts.files.get(path)
    if (file) return { attributes: file.current(), etag: file.etag, linkTarget: undefined, plain: this.parts.cache.getStat(path)?.plain ?? false }
    return this.parts.lookup.find(path, signal)
  }

  private async moveFile(from: string, to: string, source: FoundObject, signal: AbortSignal): Promise<void> {
    const { files, keys, store } = this.parts
    const file = files.get(from)
    // The object must hold everything before the server copies it.
    if (file) await this.data.upload(file, signal)
    const replaced = files.get(to)
    if (replaced) await this.data.keepForHandles(replaced, signal)
    // A rename changes the file's ctime: the copy carries it in new metadata.
    const attributes = { ...(file ? file.current() : source.attributes), ctime: Timespec.now() }
    const { foreign } = await rewriteMetadata(this.parts, to, attributes, source.plain, signal, from)
    // At once, not batched: another client must not find both names once rename() returned.
    await store.delete(keys.fileKey(from), { signal })
    this.moved(from, to, attributes, { linkTarget: source.linkTarget, plain: Object.keys(foreign).length === 0 }, false)
    if (file) {
      file.attributes = attributes
      file.foreignMetadata = foreign
      this.follow(from, to)
    }
  }

  private async moveDirectory(from: string, to: string, source: FoundObject, signal: AbortSignal): Promise<void> {
    const { files, keys, store, directoryTimes } = this.parts
    await directoryTimes.settle(from)
    for (const file of files.beneath(from)) await this.data.upload(file, signal)
    const fromPrefix = keys.dirKey(from)
    const toPrefix = keys.dirKey(to)
    const objects: ListedObject[] = []
    // Its listing must be S3's own: what is deleted beneath it is first deleted there.
    await store.settleDeletes(fromPrefix)
    for await (const page of store.list(fromPrefix, { signal })) objects.push(...page.objects)
    await forEachConcurrently(objects, COPY_CONCURRENCY, (object) =>
      store.copy(object.key, toPrefix + object.key.slice(fromPrefix.length), { size: object.size, signal }),
    )
    const refused = await store.deleteMany(objects.map((o) => o.key), { signal })
    if (refused.length > 0) throw new FsError('EIO', `${from} was copied to ${to}, but ${refused.length} of its keys could not be deleted (${refused[0]!.code})`)
    this.moved(from, to, source.attributes, { plain: source.plain }, true)
    this.follow(from, to)
  }

  /** The cache learns the move: `to` takes over the inode number and attributes, `from` is gone, both listings change. */
  private moved(from: string, to: string, attributes: ObjectAttributes, extras: StatExtras, directory: boolean): void {
    const { cache, lookup } = this.parts
    lookup.changed(from)
    if (directory) {
      // What was cached beneath either name is out of date (inode numbers beneath `from` included).
      cache.invalidateTree(from)
      cache.invalidateTree(to)
    }
    cache.move(from, to)
    cache.setMissing(from)
    cache.removeFromListing(parentOf(from), directory ? `${nameOf(from)}/` : nameOf(from))
    lookup.listingChanged(parentOf(from))
    recordPresent(this.parts, to, attributes, extras, directory)
    this.parts.directoryTimes.entryChanged(parentOf(from))
    this.parts.directoryTimes.entryChanged(parentOf(to))
  }

  /** Files open here under `from` go on under `to`: their staged data now belongs to the new keys. */
  private follow(from: string, to: string): void {
    const { files, keys, staging } = this.parts
    files.move(from, to, (path) => keys.fileKey(path))
    const moved = files.beneath(to)
    const itself = files.get(to)
    if (itself) moved.push(itself)
    for (const file of moved) {
      file.etag = undefined
      files.changed(file)
      if (file.staged) {
        staging.rekey(file.staged, file.key)
        file.staged.baseEtag = undefined
      }
    }
  }
}
