import { FsError, Timespec, type RequestContext } from '@fusekit/core'
import type { FileData } from './file-data.js'
import { isDirectory } from './file-stat.js'
import { recordPresent, type MountParts } from './mount-parts.js'
import { contentTypeFor, encodeAttributes, foreignMetadata, S_IFMT, type ObjectAttributes } from './object-metadata.js'

/** chown's "leave this id as it is". */
const UNCHANGED_ID = 0xffff_ffff

/**
 * chmod, chown and utimens. S3 changes an object's metadata only by writing the object again:
 * a file with changes not uploaded yet takes the new attributes into its next upload; any other
 * object is copied onto itself with the new metadata (a server-side copy; a directory without a
 * marker object gets one). What other tools stored in the metadata, and the content type, are
 * kept (a HEAD reads them first).
 */
export class AttributeChanges {
  constructor(
    private readonly parts: MountParts,
    private readonly data: FileData,
  ) {}

  chmod(ctx: RequestContext, path: string, mode: number, fh: number | undefined): Promise<void> {
    return this.change(ctx, path, fh, (a) => ({ ...a, mode: (a.mode & S_IFMT) | (mode & 0o7777) }))
  }

  chown(ctx: RequestContext, path: string, uid: number, gid: number, fh: number | undefined): Promise<void> {
    return this.change(ctx, path, fh, (a) => ({ ...a, uid: uid === UNCHANGED_ID ? a.uid : uid, gid: gid === UNCHANGED_ID ? a.gid : gid }))
  }

  utimens(ctx: RequestContext, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, fh: number | undefined): Promise<void> {
    return this.change(ctx, path, fh, (a) => ({ ...a, atime: atime ?? a.atime, mtime: mtime ?? a.mtime }))
  }

  private async change(ctx: RequestContext, path: string, fh: number | undefined, update: (a: ObjectAttributes) => ObjectAttributes): Promise<void> {
    const { files, lookup, cache } = this.parts
    const changed = (a: ObjectAttributes) => ({ ...update(a), ctime: Timespec.now() })
    const file = fh ? files.handle(fh).file : files.get(path)
    if (file && (file.detached || file.dirty)) {
      file.attributes = changed(file.attributes)
      if (!file.detached) this.parts.staging.setMetadata(file.staged!, this.data.metadataOf(file))
      return
    }
    if (path === '/') throw new FsError('EPERM', 'the root of the mount has no object to keep attributes in')
    const found = file ? { attributes: file.current(), linkTarget: undefined, plain: cache.getStat(path)?.plain ?? false } : await lookup.stat(path, ctx.signal)
    const next = changed(found.attributes)
    // Nothing S3 keeps would change (cp -a's chown to the owner it has): no request.
    if (sameAttributes(found.attributes, next)) return
    const { size, foreign } = await this.write(path, next, found.plain, ctx.signal)
    const attributes = { ...next, size }
    if (file) {
      file.attributes = attributes
      file.etag = undefined
      file.foreignMetadata = foreign
      file.version++
      if (file.staged) {
        file.staged.metadata = this.data.metadataOf(file)
        // A copy may give the object a new ETag: later fetches must not insist on the old one.
        file.staged.baseEtag = undefined
      }
    }
    recordPresent(this.parts, path, attributes, { linkTarget: found.linkTarget, plain: Object.keys(foreign).length === 0 }, isDirectory(next))
  }

  /**
   * Writes the object again with `attributes` in its metadata. A plain object (only attributes in
   * its metadata) is written at once; any other is read first (HEAD) for what must be kept.
   * Returns the object's size and the foreign metadata it kept.
   */
  private async write(path: string, attributes: ObjectAttributes, plain: boolean, signal: AbortSignal): Promise<{ size: number; foreign: Record<string, string> }> {
    const { store, keys } = this.parts
    const directory = isDirectory(attributes)
    const key = directory ? keys.dirKey(path) : keys.fileKey(path)
    // A directory marker is empty: writing it anew is a copy onto itself, without the copy.
    if (plain && directory) {
      await store.put(key, Buffer.alloc(0), { metadata: encodeAttributes(attributes), contentType: contentTypeFor(attributes.mode), signal })
      return { size: 0, foreign: {} }
    }
    if (plain) {
      await store.copy(key, key, { metadata: encodeAttributes(attributes), contentType: contentTypeFor(attributes.mode), size: attributes.size, signal })
      return { size: attributes.size, foreign: {} }
    }
    const head = await store.head(key, { signal })
    const foreign = foreignMetadata(head?.metadata)
    const metadata = { ...foreign, ...encodeAttributes(attributes) }
    if (head) {
      await store.copy(key, key, { metadata, contentType: head.contentType ?? contentTypeFor(attributes.mode), size: head.size, ifMatch: head.etag, signal })
    } else if (directory) {
      await store.put(key, Buffer.alloc(0), { metadata, contentType: contentTypeFor(attributes.mode), signal })
    } else {
      throw new FsError('ENOENT', `${path} was removed elsewhere`)
    }
    return { size: directory ? 0 : (head?.size ?? 0), foreign }
  }
}

/** Whether two sets of attributes store the same (ctime is not stored apart from them). */
function sameAttributes(a: ObjectAttributes, b: ObjectAttributes): boolean {
  const sameTime = (x: Timespec, y: Timespec) => x.sec === y.sec && x.nsec === y.nsec
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && sameTime(a.mtime, b.mtime) && sameTime(a.atime, b.atime)
}
