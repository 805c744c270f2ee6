import { FsError, Timespec, type ErrnoName, type RequestContext } from '@fusekit/core'
import { isDirectory } from './file-stat.js'
import { LocalFile, type OpenHandle } from './local-files.js'
import { parentOf } from './metadata-cache.js'
import { recordPresent, type MountParts } from './mount-parts.js'
import { encodeAttributes, foreignMetadata, isPlainObject, S_IFREG, type ObjectAttributes } from './object-metadata.js'
import type { StagedFile } from './staged-file.js'

/** Errnos an upload failure keeps when close() or fsync() reports it; anything else is EIO. */
const KEPT_UPLOAD_ERRNOS = new Set<string>(['EINTR', 'ENOSPC', 'EDQUOT', 'EFBIG'])

/**
 * The contents of files: opening, reading (ranged GETs with read-ahead, or the staged data once
 * a file has changes), writing into WriteStaging, and uploading on close (flush), fsync and at
 * the last release. A failed upload keeps the data staged and the file's local state in place:
 * close() reports EIO, and the next flush, fsync, the background retry or the unmount tries again.
 */
export class FileData {
  constructor(private readonly parts: MountParts) {}

  /** Opens the file at `path` (its local state, or the object as S3 has it); returns a handle number. */
  async open(ctx: RequestContext, path: string): Promise<number> {
    const { files, lookup, cache, keys } = this.parts
    let file = files.get(path)
    if (!file) {
      const found = await lookup.stat(path, ctx.signal)
      if (isDirectory(found.attributes)) throw new FsError('EISDIR')
      file = files.get(path) ?? new LocalFile(path, keys.fileKey(path), cache.inodeOf(path), found.attributes, found.etag)
      files.add(file)
    }
    return files.open(file)
  }

  /** Creates a new, empty file owned by the caller (uploaded at its first flush even if nothing is written). */
  async create(ctx: RequestContext, path: string, mode: number): Promise<number> {
    const { files, staging, cache, keys } = this.parts
    const existing = files.get(path)
    if (existing) return files.open(existing)
    const now = Timespec.now()
    const attributes: ObjectAttributes = { mode: S_IFREG | (mode & 0o7777), uid: ctx.uid, gid: ctx.gid, size: 0, mtime: now, ctime: now, atime: now }
    const file = new LocalFile(path, keys.fileKey(path), cache.inodeOf(path), attributes, undefined)
    files.add(file)
    file.staged = await staging.open(file.key, { metadata: encodeAttributes(attributes) })
    recordPresent(this.parts, path, attributes)
    this.parts.directoryTimes.entryChanged(parentOf(path))
    const fh = files.open(file)
    files.handle(fh).wrote = true
    return fh
  }

  /** Answered at once when the bytes are in memory (fetched already, or a small file just uploaded). */
  read(ctx: RequestContext, fh: number, buffer: Buffer, position: number): number | Promise<number> {
    const handle = this.parts.files.handle(fh)
    const { file } = handle
    // Changes not uploaded yet, or a file whose object is gone (unlinked while open): the staged data.
    if (file.staged && (file.dirty || file.detached)) return this.parts.staging.read(file.staged, buffer, position, ctx.signal)
    // A small file this mount uploaded, still the version the lookup names: from memory.
    const recent = this.parts.staging.recent.get(file.key, file.etag)
    if (recent) return recent.copy(buffer, 0, Math.min(position, recent.length))
    const read = this.parts.readAhead.read(this.readerOf(handle), buffer, position, ctx)
    if (typeof read === 'number') return read
    return read.catch(async (error: unknown) => {
      if ((error as FsError).code !== 'ESTALE' || file.detached) throw error
      // Changed elsewhere since it was opened: read the new version.
      await this.refresh(file, ctx.signal)
      return this.parts.readAhead.read(this.readerOf(handle), buffer, position, ctx)
    })
  }

  async write(ctx: RequestContext, fh: number, buffer: Buffer, position: number): Promise<number> {
    const handle = this.parts.files.handle(fh)
    const { file } = handle
    handle.wrote = true
    const staged = await this.stage(file, ctx.signal)
    const written = await this.parts.staging.write(staged, buffer, position, ctx.signal)
    this.touched(file, staged)
    return written
  }

  /** truncate(2) and ftruncate(2): through the open file, or of a file nobody here has open (uploaded at once). */
  async truncate(ctx: RequestContext, path: string, size: number, fh: number | undefined): Promise<void> {
    const { files, lookup, keys, cache } = this.parts
    if (fh) files.handle(fh).wrote = true
    let file = fh ? files.handle(fh).file : files.get(path)
    const transient = !file
    if (!file) {
      const found = await lookup.stat(path, ctx.signal)
      if (isDirectory(found.attributes)) throw new FsError('EISDIR')
      if (found.attributes.size === size) return
      file = new LocalFile(path, keys.fileKey(path), cache.inodeOf(path), found.attributes, found.etag)
      files.add(file)
    }
    try {
      const staged = await this.stage(file, ctx.signal)
      await this.parts.staging.truncate(staged, size)
      this.touched(file, staged)
      if (transient) await this.upload(file, ctx.signal)
    } finally {
      if (transient) await this.retire(file)
    }
  }

  /**
   * close(2) of a descriptor that made or changed the file: uploads what the file has not
   * uploaded yet. A reader's close leaves a writer's changes alone (and reports no error of theirs).
   */
  async flush(ctx: RequestContext, fh: number): Promise<void> {
    const handle = this.parts.files.handle(fh)
    if (handle.wrote) await this.upload(handle.file, ctx.signal)
  }

  async fsync(ctx: RequestContext, fh: number): Promise<void> {
    await this.upload(this.parts.files.handle(fh).file, ctx.signal)
  }

  /** The last close of a handle: a file left with changes (written after its flush) is uploaded in the background. */
  async release(fh: number): Promise<void> {
    const { file, reader } = this.parts.files.close(fh)
    if (reader) this.parts.readAhead.close(reader)
    if (file.handles > 0) return
    if (file.staged?.dirty) {
      this.uploadInBackground(file)
      return
    }
    await this.retire(file)
  }

  /**
   * Uploads the file's changes, if it has any; the cache and listing learn the result. A failure
   * is logged once per file until an upload of it succeeds (the background retry repeats it).
   */
  async upload(file: LocalFile, signal?: AbortSignal): Promise<void> {
    const staged = file.staged
    if (!staged || file.detached || !file.dirty) return
    staged.metadata = this.metadataOf(file)
    try {
      await this.parts.staging.flush(staged, signal)
    } catch (error) {
      const errno = (error as FsError).code as ErrnoName
      if (!file.uploadFailing) {
        this.parts.logger.warn(`s3: uploading ${file.path} failed (${(error as Error).message}); its data is kept and sent again at the next close or fsync, or in the background`)
      }
      file.uploadFailing = true
      throw new FsError(KEPT_UPLOAD_ERRNOS.has(errno) ? errno : 'EIO', `uploading ${file.path}: ${(error as Error).message}`, { cause: error })
    }
    if (file.uploadFailing) this.parts.logger.info(`s3: uploaded ${file.path} after all`)
    file.uploadFailing = false
    this.parts.files.changed(file)
    file.etag = staged.baseEtag
    file.attributes = file.current()
    const plain = isPlainObject({ metadata: file.foreignMetadata, contentType: file.contentType }, file.attributes.mode)
    if (!file.detached) recordPresent(this.parts, file.path, file.current(), { etag: file.etag, plain })
    if (file.handles === 0) await this.retire(file)
  }

  /** The staged data of `file`, made on its first change: the object's current version is its base. */
  async stage(file: LocalFile, signal?: AbortSignal): Promise<StagedFile> {
    if (file.staged) return file.staged
    file.staging ??= (async () => {
      const head = await this.parts.store.head(file.key, { signal })
      if (!head) throw new FsError('ESTALE', `${file.path} was removed elsewhere`)
      file.foreignMetadata = foreignMetadata(head.metadata)
      file.contentType = head.contentType
      file.etag = head.etag
      file.attributes = { ...file.attributes, size: head.size }
      const staged = await this.parts.staging.open(file.key, { base: { size: head.size, etag: head.etag }, metadata: this.metadataOf(file), contentType: head.contentType })
      file.staged = staged
      return staged
    })().finally(() => (file.staging = undefined))
    return file.staging
  }

  /**
   * The file's name goes away (unlink, or a rename onto it) while handles hold it open: its bytes
   * are made local first, and it lives on, detached, until its last close.
   */
  async keepForHandles(file: LocalFile, signal?: AbortSignal): Promise<void> {
    file.busy++
    try {
      if (file.handles > 0) {
        const staged = await this.stage(file, signal)
        await this.parts.staging.materialize(staged, signal)
        this.parts.staging.detach(staged)
      } else if (file.staged) {
        this.parts.staging.detach(file.staged)
      }
      this.parts.files.detach(file)
    } finally {
      file.busy--
    }
    if (file.handles === 0) await this.retire(file)
  }

  /** Sends again what failed to upload, for files nobody has open (called every few seconds). */
  retryDirty(): void {
    for (const file of this.parts.files.all()) {
      if (file.handles === 0 && file.staged?.dirty && !file.staged.uploading) this.uploadInBackground(file)
    }
  }

  /** The metadata an upload of `file` carries: its attributes, and what other tools stored with the object. */
  metadataOf(file: LocalFile): Record<string, string> {
    return { ...file.foreignMetadata, ...encodeAttributes(file.attributes) }
  }

  private uploadInBackground(file: LocalFile): void {
    this.upload(file).catch(() => undefined)
  }

  /** Takes an idle, clean file out of the table and lets its staged data go. */
  private async retire(file: LocalFile): Promise<void> {
    if (!this.parts.files.forgetIfIdle(file)) return
    const staged = file.staged
    file.staged = undefined
    if (staged) await this.parts.staging.close(staged)
  }

  /** A change of the bytes: a new mtime, in the metadata of the next upload too. */
  private touched(file: LocalFile, staged: StagedFile): void {
    const now = Timespec.now()
    file.attributes = { ...file.attributes, mtime: now, ctime: now }
    this.parts.files.changed(file)
    staged.metadata = this.metadataOf(file)
  }

  /** The handle's reader of the file's current version (LocalFiles.changed drops one of an older). */
  private readerOf(handle: OpenHandle) {
    const { file } = handle
    handle.reader ??= this.parts.readAhead.open(file.key, file.size, file.etag, handle.fh)
    return handle.reader
  }

  /** Reads the object's current version from S3 (its etag and size). */
  private async refresh(file: LocalFile, signal?: AbortSignal): Promise<void> {
    const head = await this.parts.store.head(file.key, { signal })
    if (!head) throw new FsError('ESTALE', `${file.path} was removed elsewhere`)
    file.attributes = this.parts.lookup.attributesOf(head)
    file.etag = head.etag
    this.parts.files.changed(file)
  }
}
