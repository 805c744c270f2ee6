import { forEachConcurrently } from './bounded-pool.js'
import type { S3ObjectStore } from './object-store.js'
import type { StagedFile } from './staged-file.js'

/** One part of an eager upload: sent or being sent, and whether a later write made it out of date. */
interface EagerPart {
  etag: Promise<string>
  stale: boolean
}

/**
 * A multipart upload of a new file that starts while the file is still being written: each part
 * the writer has left behind (it writes past the part's end) is sent at once, `uploadConcurrency`
 * at a time, so that close() or fsync() only sends the last parts and completes. A part written
 * again after it was sent is sent again at the end. Its local data is kept until the upload
 * completes (nothing can read a part before that).
 *
 * The metadata goes with the first request, so the object's stored mtime is the time the
 * upload began; an attribute changed on purpose meanwhile (chmod, chown, utimens) is put right
 * after completion by copying the object onto itself.
 */
export class EagerUpload {
  readonly partSize: number
  private readonly uploadId: Promise<string>
  private readonly parts: EagerPart[] = []
  /** Parts waiting for a free slot, in order. */
  private queued: number[] = []
  /** The next part to queue: every part before it is queued, sent or being sent. */
  private nextPart = 0
  private inFlight = 0
  /** Metadata as CreateMultipartUpload sent it. */
  private readonly sentMetadata: Record<string, string>
  private attributesChanged = false
  private failed = false

  constructor(
    private readonly store: S3ObjectStore,
    private readonly file: StagedFile,
  ) {
    this.partSize = store.partSize
    this.sentMetadata = { ...file.metadata }
    this.uploadId = store.createMultipartUpload(file.key, { metadata: this.sentMetadata, contentType: file.contentType })
    this.uploadId.catch(() => (this.failed = true))
  }

  /** Whether the file, written sequentially from its start, should begin one (its first part is behind the writer). */
  static worthStarting(store: S3ObjectStore, file: StagedFile, writeStart: number, writeEnd: number): boolean {
    return file.baseSize === 0 && writeEnd === file.size && writeStart >= store.partSize
  }

  /** The upload's id, or undefined if S3 never gave one. */
  uploadIdIfAny(): Promise<string | undefined> {
    return this.uploadId.catch(() => undefined)
  }

  /** Still usable: created, and the file's size still fits its part size. */
  get usable(): boolean {
    return !this.failed && this.store.partSizeFor(this.file.size) === this.partSize
  }

  /** After a write at `writeStart`: sends the (whole) parts below it. */
  advance(writeStart: number): void {
    const behind = Math.floor(writeStart / this.partSize)
    while (this.nextPart < behind) this.queued.push(this.nextPart++)
    this.pump()
  }

  /** Bytes [start, end) were written again (or cut by a truncate): the parts there must be sent again. */
  touched(start: number, end: number): void {
    const last = Math.min(this.parts.length - 1, Math.floor((end - 1) / this.partSize))
    for (let index = Math.floor(start / this.partSize); index <= last; index++) {
      const part = this.parts[index]
      if (part) part.stale = true
    }
  }

  /** chmod, chown or utimens on purpose: the metadata sent at the start is no longer right. */
  metadataChanged(): void {
    this.attributesChanged = true
  }

  /**
   * Completes the upload with the file as it is: the parts not sent, or sent before a later
   * write, go now (`prepare` makes their bytes local first). Returns the size uploaded, and
   * whether the metadata must still be put right (attributes changed on purpose since the start).
   * May be called again after it failed.
   */
  async finish(prepare: (start: number, end: number) => Promise<void>, signal?: AbortSignal): Promise<{ size: number; metadataStale: boolean }> {
    // Parts still waiting go with the rest now (none is sent twice).
    this.queued = []
    const uploadId = await this.uploadId
    const size = this.file.size
    const partCount = Math.max(1, Math.ceil(size / this.partSize))
    const etags: string[] = new Array<string>(partCount)
    const missing: number[] = []
    for (let index = 0; index < partCount; index++) {
      const part = this.parts[index]
      // Parts are sent whole; one the file no longer fills was cut by a truncate, and is stale.
      if (!part || part.stale || (index + 1) * this.partSize > size) {
        // Its old upload may still be under way: the server keeps whichever copy of a part ends
        // last, so the new one goes after it (else Complete names an ETag the server replaced).
        await part?.etag.catch(() => undefined)
        missing.push(index)
        continue
      }
      etags[index] = await part.etag.catch(() => {
        missing.push(index)
        return ''
      })
    }
    await forEachConcurrently(missing, this.store.uploadConcurrency, async (index) => {
      const start = index * this.partSize
      const end = Math.min(size, start + this.partSize)
      await prepare(start, end)
      etags[index] = await this.store.uploadPart(this.file.key, uploadId, index + 1, this.file.body(start, end - start), { signal })
    })
    await this.store.completeMultipartUpload(this.file.key, uploadId, etags, { signal })
    return { size, metadataStale: this.attributesChanged || !sameKeys(this.sentMetadata, this.file.metadata, ['mtime', 'ctime', 'atime']) }
  }

  /** Gives the upload up (the parts sent are dropped by the server). */
  abort(): void {
    this.failed = true
    this.queued = []
    void this.uploadId.then((id) => this.store.abortMultipartUpload(this.file.key, id)).catch(() => undefined)
  }

  private pump(): void {
    while (!this.failed && this.inFlight < this.store.uploadConcurrency && this.queued.length > 0) {
      const index = this.queued.shift()!
      const start = index * this.partSize
      const length = this.partSize
      this.inFlight++
      const etag = this.uploadId.then((id) => {
        // Given up meanwhile (the file may be gone from disk already).
        if (this.failed) throw new Error('eager upload given up')
        return this.store.uploadPart(this.file.key, id, index + 1, this.file.body(start, length))
      })
      const part = { etag, stale: false }
      this.parts[index] = part
      etag
        .then(() => {
          // Its bytes are in the upload now: a file streamed from memory lets them go.
          if (!this.failed && !part.stale && this.parts[index] === part) this.file.partSent(index)
        })
        .catch(() => {
          // Sent again at the end.
          if (this.parts[index]?.etag === etag) this.parts[index]!.stale = true
        })
        .finally(() => {
          this.inFlight--
          this.pump()
        })
    }
  }
}

/** Whether two metadata maps agree on every key but `ignored`. */
function sameKeys(a: Record<string, string>, b: Record<string, string>, ignored: string[]): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => !ignored.includes(k)))
  for (const key of keys) if (a[key] !== b[key]) return false
  return true
}
