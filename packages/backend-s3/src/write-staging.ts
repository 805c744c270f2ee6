import { chmod, mkdir, mkdtemp, open, readdir, rm, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { FsError } from '@fusekit/core'
import { linkAbort } from './abortable.js'
import { S3ConfigError } from './config-error.js'
import type { S3ObjectStore } from './object-store.js'
import { RecentUploads } from './recent-uploads.js'
import { StagedFile, type StagedBase } from './staged-file.js'
import { uploadStagedFile } from './staged-upload.js'
import { EagerUpload } from './eager-upload.js'
import { FetchBuffers } from './fetch-buffers.js'
import { MemoryStore } from './staging-store.js'
import { StreamedParts } from './streamed-parts.js'

const MiB = 1024 * 1024
/** How long a streamed file's writer waits for a part to be sent before its parts go to disk. */
const STREAM_STALL_MS = 1000

export interface WriteStagingOptions {
  /** Where staged data lives (made 0700; each WriteStaging uses a directory of its own in it). */
  cacheDir: string
  /** Most bytes staged locally in all (default 1 GiB). */
  maxDirtyBytes?: number
  /** How long a write waits for room before failing with ENOSPC (default 60 s). */
  dirtyWaitMs?: number
  /** Unit of local data and of fetches from objects (default 256 KiB). */
  blockSize?: number
  /** A new file is staged in memory until it grows past this (default 1 MiB; 0: always on disk). */
  memoryFileBytes?: number
  /** Memory for such files in all (default 64 MiB): past it new files go to disk from the start. */
  memoryTotalBytes?: number
  /**
   * Memory for the parts of new files written from their start (default 128 MiB): such a file
   * grown past `memoryFileBytes` keeps its parts in reused buffers until they are sent, a few
   * per file, instead of going to disk (StreamedParts).
   */
  streamMemoryBytes?: number
}

export interface OpenStagedOptions {
  /** The object as it is now; omit for a file that does not exist yet (it is uploaded even if empty). */
  base?: StagedBase
  metadata: Record<string, string>
  contentType?: string
}

export interface DirtyFile {
  key: string
  size: number
  /** Local bytes staged for it (written, or fetched to complete it). */
  localBytes: number
  dirtySince: number
  uploading: boolean
}

/** A dirty file kept at shutdown: its local file, and the parts only its unfinished upload has (numbered from 1). */
export interface KeptFile {
  path: string
  unfinishedUpload?: { uploadId: string; parts: number[] }
}

export interface FlushProgress {
  key: string
  filesDone: number
  filesTotal: number
  bytesDone: number
  bytesTotal: number
  error?: FsError
}

/**
 * Dirty data of open files, staged on local disk until it is uploaded.
 *
 * - Writes go to a sparse local file per object (a new file stays in memory until it grows past
 *   `memoryFileBytes`, while `memoryTotalBytes` lasts). Bytes of an existing object are fetched lazily,
 *   block by block: a write fetches only the (at most two) edge blocks it covers partly, a read
 *   the blocks it reads, an upload the blocks of each part it sends (a part the writes left
 *   untouched is copied server-side instead). Cost: a small overwrite of a big object downloads
 *   at most two blocks plus the partly touched parts, never the whole object.
 * - Space: at most `maxDirtyBytes` staged in all. A write that would pass it first uploads other
 *   files (the oldest changes first; its own file too when it is the only one) and drops data
 *   fetched for reading, waiting for room up to `dirtyWaitMs`, then fails with ENOSPC. Writes in
 *   flight can pass the bound by their own size.
 * - Upload: one PUT below the store's part size, parallel parts above. A failed upload keeps the
 *   data staged and the file dirty: the next flush tries again. A successful one frees the local
 *   data (the file stays open, now backed by the new object).
 */
export class WriteStaging {
  readonly maxDirtyBytes: number
  readonly blockSize: number
  private readonly dirtyWaitMs: number
  private readonly files = new Map<string, StagedFile>()
  /** Staged files being made, so that two opens of one key at once share one. */
  private readonly opening = new Map<string, Promise<StagedFile>>()
  private dir: string | undefined
  private counter = 0
  private used = 0
  private readonly memoryFileBytes: number
  private readonly memoryTotalBytes: number
  /** Memory set aside for files staged in memory (their capacity each). */
  private memoryReserved = 0
  private waiters: Array<() => void> = []
  /** Small files just uploaded from memory, for reads that follow (a GET each otherwise). */
  readonly recent = new RecentUploads()
  /** Parts one streamed file may hold: those being sent, and two more being written. */
  private readonly streamParts: number
  private readonly streamMemoryBytes: number
  /** Memory set aside for streamed files (streamParts parts each). */
  private streamReserved = 0
  private readonly partBuffers: FetchBuffers

  private constructor(
    private readonly store: S3ObjectStore,
    options: WriteStagingOptions,
  ) {
    this.maxDirtyBytes = options.maxDirtyBytes ?? 1024 * MiB
    this.blockSize = options.blockSize ?? 256 * 1024
    this.dirtyWaitMs = options.dirtyWaitMs ?? 60_000
    this.memoryFileBytes = options.memoryFileBytes ?? MiB
    this.memoryTotalBytes = options.memoryTotalBytes ?? 64 * MiB
    this.streamParts = store.uploadConcurrency + 2
    this.streamMemoryBytes = options.streamMemoryBytes ?? 128 * MiB
    this.partBuffers = new FetchBuffers(this.streamMemoryBytes)
    if (!(this.blockSize >= 4096) || this.blockSize % 4096 !== 0) throw new S3ConfigError('blockSize: a multiple of 4096')
    if (this.maxDirtyBytes < 4 * this.blockSize) throw new S3ConfigError(`maxDirtyBytes: at least 4 blocks (${4 * this.blockSize})`)
  }

  static async create(store: S3ObjectStore, options: WriteStagingOptions): Promise<WriteStaging> {
    const staging = new WriteStaging(store, options)
    await mkdir(options.cacheDir, { recursive: true, mode: 0o700 })
    await chmod(options.cacheDir, 0o700)
    staging.dir = await mkdtemp(join(options.cacheDir, 'staging-'))
    return staging
  }

  /** Bytes staged locally now, over all files. */
  get usedBytes(): number {
    return this.used
  }

  /** The staged file of `key`, if one is open or still dirty. */
  get(key: string): StagedFile | undefined {
    return this.files.get(key)
  }

  /** Opens (or joins) the staged file of `key`. Each open needs a close. */
  async open(key: string, options: OpenStagedOptions): Promise<StagedFile> {
    let file = this.files.get(key)
    if (!file) {
      let making = this.opening.get(key)
      if (!making) {
        making = this.makeStagedFile(key, options).finally(() => this.opening.delete(key))
        this.opening.set(key, making)
      }
      file = await making
    }
    file.openCount++
    return file
  }

  /** A new file starts in memory while there is room for it; any other on disk. */
  private async makeStagedFile(key: string, options: OpenStagedOptions): Promise<StagedFile> {
    const base = options.base ?? { size: 0 }
    let file: StagedFile
    if (!options.base && this.memoryFileBytes > 0 && this.memoryReserved + this.memoryFileBytes <= this.memoryTotalBytes) {
      this.memoryReserved += this.memoryFileBytes
      file = new StagedFile(key, undefined, new MemoryStore(this.memoryFileBytes), base, this.blockSize, options.metadata, options.contentType, true)
    } else {
      const { path, handle } = await this.newLocalFile()
      if (base.size > 0) await handle.truncate(base.size)
      file = new StagedFile(key, path, handle, base, this.blockSize, options.metadata, options.contentType, !options.base)
    }
    this.files.set(key, file)
    return file
  }

  private async newLocalFile(): Promise<{ path: string; handle: FileHandle }> {
    const path = join(this.stagingDir(), `${++this.counter}.staged`)
    return { path, handle: await open(path, 'w+', 0o600) }
  }

  /** Moves a file staged in memory to disk (it grows past its capacity, or must outlive the mount). The lock is held. */
  private async spill(file: StagedFile): Promise<void> {
    if (!(file.local instanceof MemoryStore)) return
    const memory = file.local
    const { path, handle } = await this.newLocalFile()
    const bytes = memory.contents()
    await handle.write(bytes, 0, bytes.length, 0)
    if (file.size > bytes.length) await handle.truncate(file.size)
    file.local = handle
    file.path = path
    await memory.close()
    this.memoryReserved -= memory.capacity
  }

  /** Bytes [0, end) will be needed: a file in memory that cannot hold them goes to disk first. The lock is held. */
  private async room(file: StagedFile, end: number): Promise<void> {
    if (file.local instanceof MemoryStore && end > file.local.capacity) await this.spill(file)
  }

  /** Writes `buffer` at `position`; returns the count written. */
  async write(file: StagedFile, buffer: Buffer, position: number, signal?: AbortSignal): Promise<number> {
    if (buffer.length === 0) return 0
    const end = position + buffer.length
    const needed = () => position !== file.size || file.eager?.partSize !== this.store.partSizeFor(end)
    const room = () => (file.local instanceof StreamedParts ? this.streamRoom(file, signal) : this.makeRoom(file, this.newBytes(file, position, end), signal))
    return this.settled(file, needed, signal, room, async () => {
      if (position !== file.size) await this.unstream(file)
      else if (this.streamable(file, end)) await this.stream(file)
      await this.room(file, end)
      if (file.local instanceof StreamedParts) {
        await file.local.write(buffer, 0, buffer.length, position)
      } else {
        await this.fetchEdges(file, position, end, signal)
        await file.local.write(buffer, 0, buffer.length, position)
        this.used += file.blocks.mark(position, end, true) * this.blockSize
      }
      if (end > file.size) file.size = end
      file.changed()
      file.eager?.touched(position, end)
      // Not while a streamed file is uploaded: the parts it would send and let go would be taken for that upload's.
      const uploadingStreamed = file.local instanceof StreamedParts && file.uploading !== undefined
      if (!file.eager && !file.detached && !uploadingStreamed && EagerUpload.worthStarting(this.store, file, position, end)) {
        file.eager = new EagerUpload(this.store, file)
      }
      file.eager?.advance(position)
      return buffer.length
    })
  }

  /**
   * Runs `step` with the file's lock held, once no part it needs is only in the file's
   * unfinished upload (`needed`: it reads, rewrites or cuts them, or changes the part size): that
   * upload is completed first (a flush). `before` runs ahead of each try, without the lock.
   */
  private async settled<T>(file: StagedFile, needed: () => boolean, signal: AbortSignal | undefined, before: (() => Promise<void>) | undefined, step: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.mustSettle(file, needed())) await this.flush(file, signal)
      await before?.()
      // Parts may have been sent meanwhile: settled first, then again.
      const done = await file.lock.run(async () => (this.mustSettle(file, needed()) ? undefined : { value: await step() }))
      if (done) return done.value
    }
  }

  /**
   * Whether parts of `file` are only in its unfinished upload and `needed`, or that upload is
   * being completed: a write then could neither join it nor start another, and waits for it.
   */
  private mustSettle(file: StagedFile, needed: boolean): boolean {
    return file.onlyUploaded.size > 0 && !file.detached && (needed || file.eager === undefined)
  }

  /** A new file in memory that an append grows past its room streams its parts from here on (room permitting). */
  private streamable(file: StagedFile, end: number): boolean {
    return (
      file.local instanceof MemoryStore &&
      end > file.local.capacity &&
      file.baseSize === 0 &&
      !file.detached &&
      file.uploading === undefined &&
      this.streamReserved + this.streamParts * this.store.partSize <= this.streamMemoryBytes
    )
  }

  /** Moves a file from memory to part buffers (the lock is held). */
  private async stream(file: StagedFile): Promise<void> {
    const memory = file.local as MemoryStore
    this.streamReserved += this.streamParts * this.store.partSize
    const parts = new StreamedParts(this.store.partSize, this.partBuffers, (bytes) => (bytes > 0 ? (this.used += bytes) : this.release(-bytes)))
    const bytes = memory.contents()
    await parts.write(bytes, 0, bytes.length, 0)
    // Accounted as part buffers from now on.
    this.release(file.blocks.dropFrom(0) * this.blockSize)
    file.local = parts
    await memory.close()
    this.memoryReserved -= memory.capacity
  }

  /**
   * Moves a streamed file to a file on disk (the lock is held) with its held parts: it is about
   * to be written elsewhere than at its end, or S3 does not keep up with its writer (parts only
   * in its upload stay there). `uploaded`: S3 has all of it and no upload sends from the buffers
   * any more: the file starts empty (for what it fetches later) and the buffers go back to the pool.
   */
  private async unstream(file: StagedFile, { uploaded = false } = {}): Promise<void> {
    if (!(file.local instanceof StreamedParts)) return
    const parts = file.local
    const { path, handle } = await this.newLocalFile()
    if (!uploaded) {
      for (const [index, buffer] of parts.parts()) {
        const start = index * parts.partSize
        const length = Math.min(parts.partSize, file.size - start)
        await handle.write(buffer, 0, length, start)
        this.used += file.blocks.mark(start, start + length, true) * this.blockSize
      }
      await handle.truncate(file.size)
    }
    file.local = handle
    file.path = path
    // Otherwise uploads may still send from the buffers: they are left to the collector.
    await this.endStream(parts, uploaded)
  }

  /** A streamed file's buffers are let go (to the pool when nothing sends from them any more), and its room. */
  private async endStream(parts: StreamedParts, reuse: boolean): Promise<void> {
    await parts.close(reuse)
    this.streamReserved -= this.streamParts * this.store.partSize
  }

  /**
   * Waits while a streamed file holds all the parts it may (its writer is ahead of the upload).
   * When STREAM_STALL_MS go by with none sent (S3 is slow or failing), its parts go to disk and
   * the writer goes on there, as for any other file.
   */
  private async streamRoom(file: StagedFile, signal?: AbortSignal): Promise<void> {
    const parts = file.local
    let sentAt = Date.now()
    while (parts instanceof StreamedParts && file.local === parts && parts.heldParts >= this.streamParts) {
      const held = parts.heldParts
      await this.roomChanged(Math.max(0, sentAt + STREAM_STALL_MS - Date.now()), signal)
      if (signal?.aborted) throw new FsError('EINTR')
      if (parts.heldParts < held) sentAt = Date.now()
      else if (Date.now() - sentAt >= STREAM_STALL_MS) await file.lock.run(() => this.unstream(file))
    }
  }

  /** Reads from the staged file, fetching from the object what is not local yet. */
  async read(file: StagedFile, buffer: Buffer, position: number, signal?: AbortSignal): Promise<number> {
    return this.settled(file, () => true, signal, undefined, async () => {
      const end = Math.min(file.size, position + buffer.length)
      if (end <= position) return 0
      await this.fetchLocked(file, position, end, signal)
      const { bytesRead } = await file.local.read(buffer, 0, end - position, position)
      return bytesRead
    })
  }

  /** Sets the size: shrinking forgets the bytes past it, growing adds zeros (a hole on disk). */
  async truncate(file: StagedFile, size: number): Promise<void> {
    await this.settled(file, () => true, undefined, undefined, async () => {
      await this.unstream(file)
      await this.room(file, size)
      await file.local.truncate(size)
      file.eager?.touched(size, Math.max(size, file.size) + 1)
      if (size < file.size) {
        file.baseSize = Math.min(file.baseSize, size)
        this.release(file.blocks.dropFrom(Math.ceil(size / this.blockSize)) * this.blockSize)
      }
      file.size = size
      file.changed()
    })
  }

  /**
   * New metadata for the next upload (chmod, chown, utimens on a file with changes not uploaded
   * yet). A clean file is better served by copying its object onto itself with the new metadata
   * (S3ObjectStore.copy): this re-uploads it (server-side copies for large files' parts).
   */
  setMetadata(file: StagedFile, metadata: Record<string, string>, contentType?: string): void {
    file.eager?.metadataChanged()
    file.metadata = metadata
    if (contentType !== undefined) file.contentType = contentType
    file.changed()
  }

  /**
   * Uploads what was written before this call (fsync, close). An upload already running is
   * waited for, and is enough if it started after the last change before this call; changes
   * made during the upload leave the file dirty for the next flush. A failure leaves everything
   * staged and is thrown (an FsError).
   */
  async flush(file: StagedFile, signal?: AbortSignal): Promise<void> {
    const target = file.generation
    for (;;) {
      if (file.uploading) {
        await file.uploading.catch(() => undefined)
        continue
      }
      if (file.detached || file.uploadedGeneration >= target) return
      await this.uploadOnce(file, signal)
    }
  }

  /**
   * Ends one open. The last close of a clean file frees it; a dirty one stays staged (listed by
   * dirtyFiles, uploaded by a flush or flushAll) until it is uploaded.
   */
  async close(file: StagedFile): Promise<void> {
    file.openCount = Math.max(0, file.openCount - 1)
    await this.forgetIfIdle(file)
  }

  /**
   * The file is no longer the data of its key (unlinked while open): it is never uploaded, its
   * key is free for a new staged file, and its data stays for those who hold it open until the
   * last close.
   */
  detach(file: StagedFile): void {
    file.detached = true
    file.dropEager()
    if (this.files.get(file.key) === file) this.files.delete(file.key)
    this.wakeWaiters()
  }

  /** Drops the staged data of `file` without uploading it (the object was deleted), whoever holds it. */
  async discard(file: StagedFile): Promise<void> {
    this.detach(file)
    file.openCount = 0
    await file.uploading?.catch(() => undefined)
    await this.forgetIfIdle(file)
  }

  /** Makes the whole file local, fetching what is still only in the object (before the object goes away). */
  async materialize(file: StagedFile, signal?: AbortSignal): Promise<void> {
    await this.settled(file, () => true, signal, undefined, () => this.fetchLocked(file, 0, file.size, signal))
  }

  /** The file now goes to `key`, whose object the caller has made a copy of the old one. */
  rekey(file: StagedFile, key: string): void {
    if (this.files.get(key) && this.files.get(key) !== file) throw new FsError('EBUSY', `${key} is staged already`)
    file.dropEager()
    this.files.delete(file.key)
    file.key = key
    file.baseKey = key
    this.files.set(key, file)
  }

  /** What is not uploaded yet, oldest change first. */
  dirtyFiles(): DirtyFile[] {
    return [...this.files.values()]
      .filter((f) => f.dirty)
      .sort((a, b) => (a.dirtySince ?? 0) - (b.dirtySince ?? 0))
      .map((f) => ({ key: f.key, size: f.size, localBytes: f.localBytes, dirtySince: f.dirtySince ?? 0, uploading: f.uploading !== undefined }))
  }

  /**
   * Uploads every dirty file (a shutdown), reporting progress after each; a failed file is
   * reported with its error and the others still go. Returns the keys that failed.
   */
  async flushAll(onProgress?: (progress: FlushProgress) => void, signal?: AbortSignal): Promise<string[]> {
    const dirty = [...this.files.values()].filter((f) => f.dirty)
    const bytesTotal = dirty.reduce((sum, f) => sum + f.size, 0)
    const failed: string[] = []
    let filesDone = 0
    let bytesDone = 0
    for (const file of dirty) {
      let error: FsError | undefined
      try {
        await this.flush(file, signal)
      } catch (e) {
        error = e instanceof FsError ? e : new FsError('EIO', String(e))
        failed.push(file.key)
      }
      filesDone++
      bytesDone += file.size
      onProgress?.({ key: file.key, filesDone, filesTotal: dirty.length, bytesDone, bytesTotal, error })
    }
    return failed
  }

  /**
   * Closes and removes every staged file, dirty or not (flushAll first to keep the data). With
   * `keepDirty`, dirty files stay on disk (in `stagingDirectory`) and are returned by key: the
   * data of uploads that failed at shutdown is not thrown away. A streamed file's parts that
   * were sent are only in its unfinished multipart upload, which is left in S3 (not aborted).
   */
  async destroy(options: { keepDirty?: boolean } = {}): Promise<Map<string, KeptFile>> {
    const kept = new Map<string, KeptFile>()
    for (const file of this.files.values()) {
      const unfinished = file.onlyUploaded.size > 0 ? await file.eager?.uploadIdIfAny() : undefined
      if (unfinished === undefined) file.dropEager()
      if (options.keepDirty && file.dirty) {
        await this.spill(file).catch(() => undefined)
        await this.unstream(file).catch(() => undefined)
        const parts = [...file.onlyUploaded].sort((a, b) => a - b).map((index) => index + 1)
        if (file.path !== undefined) kept.set(file.key, { path: file.path, ...(unfinished !== undefined && { unfinishedUpload: { uploadId: unfinished, parts } }) })
      }
      await file.local.close().catch(() => undefined)
    }
    this.files.clear()
    this.used = 0
    const dir = this.dir
    if (dir && kept.size === 0) await rm(dir, { recursive: true, force: true })
    if (dir && kept.size > 0) {
      const keep = new Set([...kept.values()].map((k) => k.path))
      for (const name of await readdir(dir)) if (!keep.has(join(dir, name))) await rm(join(dir, name), { force: true })
    }
    return kept
  }

  /** The directory of this staging's files. */
  get stagingDirectory(): string {
    return this.stagingDir()
  }

  private stagingDir(): string {
    if (!this.dir) throw new Error('WriteStaging used before create()')
    return this.dir
  }

  private async uploadOnce(file: StagedFile, signal?: AbortSignal): Promise<void> {
    const generation = file.generation
    const upload = (async () => {
      const { etag, size } = await uploadStagedFile(this.store, file, (f, start, end, s) => this.fetch(f, start, end, s), signal)
      await file.lock.run(async () => {
        file.baseEtag = etag
        file.baseKey = file.key
        file.uploadedGeneration = generation
        if (file.onlyUploaded.size > 0) {
          // The parts only the upload had are the object's now (nothing but metadata changed
          // while it completed: every other change waits for it).
          file.baseSize = size
          file.onlyUploaded.clear()
        }
        if (file.generation !== generation) {
          await this.unstream(file)
          return
        }
        if (etag !== undefined && file.local instanceof MemoryStore) this.recent.remember(file.key, etag, file.local.contents())
        // Clean: the object holds it all now; free the local blocks, keep the size (a hole).
        await this.unstream(file, { uploaded: true })
        await file.local.truncate(0)
        await file.local.truncate(file.size)
        this.release(file.blocks.dropFrom(0) * this.blockSize)
        file.baseSize = file.size
        file.dirtySince = undefined
      })
    })()
    file.uploading = upload
    try {
      await upload
    } catch (error) {
      file.lastFailureAt = Date.now()
      throw error
    } finally {
      file.uploading = undefined
      this.wakeWaiters()
      await this.forgetIfIdle(file)
    }
  }

  private async forgetIfIdle(file: StagedFile): Promise<void> {
    if (file.freed || file.openCount > 0 || file.dirty || file.uploading) return
    file.freed = true
    file.dropEager()
    if (this.files.get(file.key) === file) this.files.delete(file.key)
    this.release(file.localBytes)
    if (file.local instanceof StreamedParts) await this.endStream(file.local, false)
    await file.local.close().catch(() => undefined)
    if (file.local instanceof MemoryStore) this.memoryReserved -= file.local.capacity
    if (file.path !== undefined) await rm(file.path, { force: true })
  }

  /** Bytes a write of [start, end) will add to the local data, at most. */
  private newBytes(file: StagedFile, start: number, end: number): number {
    let blocks = 0
    for (let b = file.blocks.blockOf(start), last = file.blocks.blockOf(end - 1); b <= last; b++) {
      if (!file.blocks.isHeld(b)) blocks++
    }
    return blocks * this.blockSize
  }

  /** A write covering a block of the object only partly needs the rest of that block first. */
  private async fetchEdges(file: StagedFile, start: number, end: number, signal?: AbortSignal): Promise<void> {
    const { blockSize } = this
    const firstBlock = Math.floor(start / blockSize)
    const lastBlock = Math.floor((end - 1) / blockSize)
    for (const b of firstBlock === lastBlock ? [firstBlock] : [firstBlock, lastBlock]) {
      const blockStart = b * blockSize
      const objectEnd = Math.min((b + 1) * blockSize, file.baseSize)
      const covered = start <= blockStart && end >= objectEnd
      if (!covered && blockStart < file.baseSize && !file.blocks.isHeld(b)) {
        await this.fetchLocked(file, blockStart, objectEnd, signal)
      }
    }
  }

  private async fetch(file: StagedFile, start: number, end: number, signal?: AbortSignal): Promise<void> {
    await file.lock.run(() => this.fetchLocked(file, start, end, signal))
  }

  /** Fetches the object's bytes within [start, end) that are not local yet (the lock held). */
  private async fetchLocked(file: StagedFile, start: number, end: number, signal?: AbortSignal): Promise<void> {
    const ranges = file.missingRanges(start, end, this.store.partSize)
    await Promise.all(
      ranges.map(async ([from, to]) => {
        const data = await this.store.get(file.baseKey, { start: from, end: to, ifMatch: file.baseEtag, signal })
        if (data.length !== to - from) {
          throw new FsError('ESTALE', `${file.baseKey} is shorter than when it was opened (changed by someone else)`)
        }
        await file.local.write(data, 0, data.length, from)
        this.used += file.blocks.mark(from, to, false) * this.blockSize
      }),
    )
  }

  /**
   * Waits until `bytes` more fit under maxDirtyBytes: drops data fetched for clean files, starts
   * uploads of dirty ones (oldest change first, skipping those that failed within the last
   * second), and fails with ENOSPC after dirtyWaitMs.
   */
  private async makeRoom(writer: StagedFile, bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.used + bytes <= this.maxDirtyBytes) return
    if (bytes > this.maxDirtyBytes) throw new FsError('ENOSPC', 'a write larger than the staging space')
    const deadline = Date.now() + this.dirtyWaitMs
    while (this.used + bytes > this.maxDirtyBytes) {
      if (signal?.aborted) throw new FsError('EINTR')
      const now = Date.now()
      if (now >= deadline) {
        throw new FsError('ENOSPC', `staging full (${this.used} of ${this.maxDirtyBytes} bytes) and no upload freed room in time`)
      }
      await this.dropCleanData(writer)
      if (this.used + bytes <= this.maxDirtyBytes) return
      const victim = [...this.files.values()]
        .filter((f) => f.dirty && !f.uploading && f.localBytes > 0 && now - f.lastFailureAt > 1000)
        .sort((a, b) => (a.dirtySince ?? 0) - (b.dirtySince ?? 0))[0]
      if (victim) void this.flush(victim).catch(() => undefined)
      await this.roomChanged(Math.min(deadline - now, 1000), signal)
    }
  }

  /** Frees blocks fetched for reading files that have nothing to upload. */
  private async dropCleanData(writer: StagedFile): Promise<void> {
    for (const file of this.files.values()) {
      if (file === writer || file.dirty || file.uploading || file.localBytes === 0) continue
      await file.lock.run(async () => {
        if (file.dirty) return
        await file.local.truncate(0)
        await file.local.truncate(file.size)
        this.release(file.blocks.dropFrom(0) * this.blockSize)
      })
    }
  }

  private release(bytes: number): void {
    if (bytes === 0) return
    this.used -= bytes
    this.wakeWaiters()
  }

  private wakeWaiters(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  private async roomChanged(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const stop = new AbortController()
    const unlink = signal ? linkAbort(signal, stop) : undefined
    const woken = new Promise<void>((resolve) => this.waiters.push(resolve))
    await Promise.race([woken, sleep(timeoutMs, undefined, { signal: stop.signal }).catch(() => undefined)])
    unlink?.()
    stop.abort()
  }
}
