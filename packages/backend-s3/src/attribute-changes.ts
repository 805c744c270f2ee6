import { FsError, Timespec, type RequestContext } from '@fusekit/core'
import type { FileData } from './file-data.js'
import { isDirectory } from './file-stat.js'
import { rewriteMetadata } from './metadata-rewrite.js'
import { recordPresent, type MountParts } from './mount-parts.js'
import { S_IFMT, type ObjectAttributes } from './object-metadata.js'

/** chown's "leave this id as it is". */
const UNCHANGED_ID = 0xffff_ffff
/** How close to now both times set to one instant must be to count as a touch. */
const TOUCH_WINDOW_MS = 2000

/**
 * chmod, chown and utimens. S3 changes an object's metadata only by writing the object again:
 * a file with changes not uploaded yet takes the new attributes into its next upload; any other
 * object is written again with them (rewriteMetadata).
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
    // Both times set to one instant of now (touch, UTIME_NOW, which reaches a path backend as the
    // kernel's clock reading): ctime is that same instant, as Linux sets it.
    const now = Timespec.now()
    const touched = atime && mtime && sameTime(atime, mtime) && Math.abs(Timespec.toMillis(mtime) - Timespec.toMillis(now)) < TOUCH_WINDOW_MS
    return this.change(ctx, path, fh, (a) => ({ ...a, atime: atime ?? a.atime, mtime: mtime ?? a.mtime }), touched ? mtime : now)
  }

  private async change(ctx: RequestContext, path: string, fh: number | undefined, update: (a: ObjectAttributes) => ObjectAttributes, ctime = Timespec.now()): Promise<void> {
    const { files, lookup, cache } = this.parts
    const changed = (a: ObjectAttributes) => ({ ...update(a), ctime })
    const file = fh ? files.handle(fh).file : files.get(path)
    if (file && (file.detached || file.dirty)) {
      file.attributes = changed(file.attributes)
      if (!file.detached) this.parts.staging.setMetadata(file.staged!, this.data.metadataOf(file))
      return
    }
    if (path === '/') throw new FsError('EPERM', 'the root of the mount has no object to keep attributes in')
    // Times set now win over the times its entries' changes would still write (cp -a sets a
    // directory's times after filling it).
    await this.parts.directoryTimes.settle(path)
    const found = file ? { attributes: file.current(), linkTarget: undefined, plain: cache.getStat(path)?.plain ?? false } : await lookup.stat(path, ctx.signal)
    const next = changed(found.attributes)
    // Nothing S3 keeps would change (cp -a's chown to the owner it has): no request.
    if (sameAttributes(found.attributes, next)) return
    const { size, foreign } = await rewriteMetadata(this.parts, path, next, found.plain, ctx.signal)
    const attributes = { ...next, size }
    if (file) {
      file.attributes = attributes
      file.etag = undefined
      file.foreignMetadata = foreign
      this.parts.files.changed(file)
      if (file.staged) {
        file.staged.metadata = this.data.metadataOf(file)
        // A copy may give the object a new ETag: later fetches must not insist on the old one.
        file.staged.baseEtag = undefined
      }
    }
    recordPresent(this.parts, path, attributes, { linkTarget: found.linkTarget, plain: Object.keys(foreign).length === 0 }, isDirectory(next))
  }
}

/** Whether two sets of attributes store the same (ctime is not stored apart from them). */
function sameAttributes(a: ObjectAttributes, b: ObjectAttributes): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && sameTime(a.mtime, b.mtime) && sameTime(a.atime, b.atime)
}

function sameTime(x: Timespec, y: Timespec): boolean {
  return x.sec === y.sec && x.nsec === y.nsec
}
