import { AsyncMutex } from './async-mutex.js'
import { BlockMap } from './block-map.js'
import type { EagerUpload } from './eager-upload.js'
import type { UploadBody } from './request-body.js'
import { MemoryStore, type StagingStore } from './staging-store.js'
import { StreamedParts } from './streamed-parts.js'

/** The object a staged file starts from: its size and version (none for a new file). */
export interface StagedBase {
  size: number
  etag?: string
}

/**
 * One object's data staged locally: a sparse file of the object's current size (or, for a small
 * new file, a buffer in memory) where the blocks written, or fetched from the object when
 * needed, are kept. Bytes [0, baseSize) not held
 * locally are still the object's and are fetched before anything reads or uploads them; bytes
 * past baseSize (appended, or zeros after a truncate that grew the file) are all local.
 */
export class StagedFile {
  readonly blocks: BlockMap
  /** Local changes (writes, truncates, metadata) serialize here, with the fetches they need. */
  readonly lock = new AsyncMutex()
  size: number
  /** Bytes of the object `baseKey` that still make up the start of this file. */
  baseSize: number
  baseEtag: string | undefined
  baseKey: string
  /** Bumped by each change. */
  generation = 0
  /**
   * The generation the last successful upload started at: S3 has every change up to it. The
   * file is clean (its local data freed) when no change came since.
   */
  uploadedGeneration: number
  /** When the first change since the last upload was made (Date.now()). */
  dirtySince: number | undefined
  openCount = 0
  uploading: Promise<void> | undefined
  /** When an upload of it last failed (forced uploads leave it alone for a while after). */
  lastFailureAt = 0
  /** No longer the data of its key (unlinked while open): never uploaded, freed at the last close. */
  detached = false
  /** Its local file is closed and removed. */
  freed = false
  /** A multipart upload begun while it is written from its start (EagerUpload). */
  eager: EagerUpload | undefined
  /**
   * Parts `eager` has sent whose bytes were let go here (StreamedParts): until that upload is
   * completed they are nowhere else, so nothing may read, rewrite or cut them, nor give the
   * upload up (WriteStaging completes it first).
   */
  readonly onlyUploaded = new Set<number>()

  constructor(
    public key: string,
    /** Its file on disk; undefined while its bytes are in memory (a small new file). */
    public path: string | undefined,
    /** Where its bytes are: that file, or memory. */
    public local: StagingStore,
    base: StagedBase,
    blockSize: number,
    public metadata: Record<string, string>,
    public contentType: string | undefined,
    isNew: boolean,
  ) {
    this.blocks = new BlockMap(blockSize)
    this.size = base.size
    this.baseSize = base.size
    this.baseEtag = base.etag
    this.baseKey = key
    // A new file must reach S3 even if nothing is ever written to it.
    this.uploadedGeneration = isNew ? -1 : 0
    if (isNew) this.dirtySince = Date.now()
  }

  get dirty(): boolean {
    return !this.detached && this.generation !== this.uploadedGeneration
  }

  get localBytes(): number {
    return this.blocks.heldBlocks * this.blocks.blockSize
  }

  /** Bytes [start, start + length) to upload: a range of its file, or its bytes in memory (a part's, if streamed). */
  body(start: number, length: number): UploadBody {
    if (this.local instanceof MemoryStore) return this.local.contents().subarray(start, start + length)
    if (this.local instanceof StreamedParts) return this.local.body(start, length)
    return { path: this.path!, start, length }
  }

  /** `eager` has sent part `index`: a streamed file lets its bytes go. */
  partSent(index: number): void {
    if (!(this.local instanceof StreamedParts)) return
    this.local.drop(index)
    this.onlyUploaded.add(index)
  }

  /** Gives up the upload begun while it was written (rename, unlink, discard). */
  dropEager(): void {
    this.eager?.abort()
    this.eager = undefined
  }

  changed(): void {
    this.generation++
    this.dirtySince ??= Date.now()
  }

  /**
   * Byte ranges within [start, end) to fetch from the object: blocks under baseSize not held,
   * consecutive ones merged, none longer than `maxLength`.
   */
  missingRanges(start: number, end: number, maxLength: number): Array<[number, number]> {
    const ranges: Array<[number, number]> = []
    const limit = Math.min(end, this.baseSize)
    if (start >= limit) return ranges
    const { blockSize } = this.blocks
    for (let b = this.blocks.blockOf(start), last = this.blocks.blockOf(limit - 1); b <= last; b++) {
      if (this.blocks.isHeld(b)) continue
      const from = b * blockSize
      const to = Math.min((b + 1) * blockSize, this.baseSize)
      const previous = ranges[ranges.length - 1]
      if (previous && previous[1] === from && to - previous[0] <= maxLength) previous[1] = to
      else ranges.push([from, to])
    }
    return ranges
  }

  /** Whether the object's bytes [start, end) are still this file's, untouched: a part to copy server-side. */
  untouched(start: number, end: number): boolean {
    return end <= this.baseSize && !this.blocks.anyWritten(start, end)
  }
}
