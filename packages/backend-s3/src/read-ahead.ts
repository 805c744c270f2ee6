import { FsError, type ResidentData } from '@fusekit/core'
import { linkAbort } from './abortable.js'
import type { GetOptions } from './object-store.js'
import type { DiskPieces, PieceFile } from './disk-pieces.js'
import { FetchBuffers } from './fetch-buffers.js'
import { MemoryBudget } from './memory-budget.js'
import { S3ConfigError } from './config-error.js'

const KiB = 1024
const MiB = 1024 * KiB
/** The piece a random read fetches, aligned (ReadAheadOptions.minRead). */
export const DEFAULT_MIN_READ = 512 * KiB
/** The most a random read's piece grows to while misses on its object come fast (ReadAheadOptions.maxPiece). */
export const DEFAULT_MAX_PIECE = 4 * MiB
/** Random misses on one object closer together than this are a run: a reader covering it fast. */
const RUN_GAP_MS = 50
/** Misses in a run that double the piece. */
const MISSES_PER_DOUBLING = 8
/** A pause this long between misses takes the piece back to minRead: the reader is sparse again. */
const SPARSE_GAP_MS = 1000

/** Where ranges come from (S3ObjectStore). */
export interface RangeSource {
  get(key: string, options: GetOptions): Promise<Buffer>
}

export interface ReadAheadOptions {
  /** Read-ahead of a reader just found sequential (default 1 MiB). */
  initialWindow?: number
  /** The most it grows to while the reader stays sequential (default 64 MiB). */
  maxWindow?: number
  /** The least a read of bytes not held fetches (default 512 KiB); a random reader fetches aligned pieces of this size. */
  minRead?: number
  /**
   * A random reader whose misses come in a fast run (a database, fio) covers the object in pieces
   * that double every few misses up to this size (default 4 MiB): a sparse one keeps minRead.
   */
  maxPiece?: number
  /** A window is fetched in parallel requests of at most this size (default 8 MiB). */
  requestSize?: number
  /** Memory for fetched data, shared by all handles (default: 128 MiB of its own). */
  budget?: MemoryBudget
  /** Where arrived data is offered to the driver, for the reads of handles opened with a kernel handle. */
  resident?: ResidentData
  /** Where the pieces random readers kept go when the budget evicts them (none: they are dropped). */
  disk?: DiskPieces
}

/** Bytes [start, end) of the object, arriving or arrived. */
interface Chunk {
  start: number
  end: number
  data: Promise<Buffer>
  /** What `data` resolved to, once it has: a read of it is answered at once. */
  arrived: Buffer | undefined
  /** Where the fetch writes `data`: back to the pool once the chunk is dropped and the fetch settled. */
  buffer: Buffer
  /** Bytes charged to the budget for it. */
  charged: number
  /** Cancels the fetch when the chunk is dropped before it arrived (a reader that went elsewhere). */
  cancel: AbortController
  /** Fetched for a read somebody waits for (not ahead of one). */
  demand: boolean
  /**
   * Fetched for a random read: kept for reads that come back to it (evictLeastUsed bounds
   * them), not dropped when a run of reads that happen to follow each other passes it (fio's
   * random map ends its passes with such runs).
   */
  kept: boolean
  /** When a read last copied from it (ReadAhead's counter); 0: never read. */
  lastUse: number
  /** Reads waiting for it now: it is not dropped under them (a seek or an eviction by another read). */
  waiters: number
  /** Cancelled and its memory released. */
  dropped: boolean
  /**
   * The reader it was fetched for: only that reader's moves drop it (another reader of the object
   * reads it, but does not drop it). Undefined once that reader closed: a kept piece stays for
   * the others, until evicted.
   */
  owner: ReadHandle | undefined
}

/**
 * What was fetched of one version of an object, shared by the handles reading it: several
 * readers of one file (fio's jobs, a parallel grep) fetch each piece once, and the driver answers
 * each reader's handle from it.
 */
class FetchedObject {
  /** Fetched ranges, by start, not overlapping. */
  chunks: Chunk[] = []
  /** Open handles reading it: what arrived is held in ResidentData for the kernel handle of each. */
  readonly readers = new Set<ReadHandle>()
  /** Pieces evicted from memory, on disk (DiskPieces). */
  onDisk: PieceFile | undefined
  /** The piece its random misses fetch now (0: minRead), the last miss's time, misses in the run. */
  piece = 0
  lastMissAt = -Infinity
  runMisses = 0

  constructor(
    /** Its key in ReadAhead's table (undefined: not shared, the version is unknown). */
    readonly id: string | undefined,
  ) {}
}

/** One open file being read: where the reader is; what was fetched is its object's (FetchedObject). */
export class ReadHandle {
  /** Where a sequential reader reads next. */
  nextOffset = 0
  /** Read-ahead distance now. */
  window: number
  /** Sequential reads in a row. */
  streak = 0
  /** Closed: what reads still wait for is dropped when they end. */
  closed = false

  constructor(
    readonly key: string,
    readonly size: number,
    readonly etag: string | undefined,
    initialWindow: number,
    /** The kernel's handle whose reads these are (0: none), for ResidentData. */
    readonly fh: number,
    readonly fetched: FetchedObject,
  ) {
    this.window = initialWindow
  }
}

/**
 * Who a read is for. Its `signal` is asked for only when the read has to fetch or wait: a
 * RequestContext makes one on first use, which costs more than a read answered from memory.
 */
export interface ReadCaller {
  readonly signal?: AbortSignal
}

/**
 * Ranged GETs for reading objects, with adaptive read-ahead. A handle whose reads follow each
 * other is sequential: from its second such read on (its first, when it starts at offset 0), the
 * next `window` bytes are fetched ahead in parallel requests (at least four per window), and the
 * window doubles (initialWindow up to maxWindow) each time the reader needs more. A read
 * elsewhere resets it: the window goes back to initialWindow, the data fetched ahead is dropped,
 * and the bytes read are fetched in an aligned piece of minRead. A random reader keeps what it
 * read, in at most half the budget, the least recently used going first. Fetched data lives in
 * one MemoryBudget for all handles: read-ahead stops growing when the budget is spent. Handles
 * of one version of an object share what was fetched (FetchedObject): a reader finds what another
 * fetched, and each drops only what it read last. What has arrived is held in ResidentData for
 * the kernel handles of the object's readers until it is dropped: the driver answers the random
 * reads of it without a call.
 */
export class ReadAhead {
  readonly budget: MemoryBudget
  /**
   * Fetched ranges land in reused buffers (see FetchBuffers). Half the budget may wait idle: with
   * the chunks, 1.5 times the budget at most, where one Buffer per GET left garbage bounded only
   * by the collector.
   */
  readonly buffers: FetchBuffers
  private readonly initialWindow: number
  private readonly maxWindow: number
  private readonly minRead: number
  private readonly maxPiece: number
  private readonly requestSize: number
  private readonly resident: ResidentData | undefined
  private readonly disk: DiskPieces | undefined
  /** Counts reads, to tell which chunk was used longest ago. */
  private uses = 0
  /** What is fetched of each object version being read, by key, etag and size. */
  private readonly objects = new Map<string, FetchedObject>()

  constructor(
    private readonly source: RangeSource,
    options: ReadAheadOptions = {},
  ) {
    this.initialWindow = options.initialWindow ?? MiB
    this.maxWindow = options.maxWindow ?? 64 * MiB
    this.minRead = options.minRead ?? DEFAULT_MIN_READ
    this.budget = options.budget ?? new MemoryBudget(128 * MiB)
    // Random readers keep pieces in half the budget: a piece never takes more than a quarter of that.
    this.maxPiece = options.maxPiece ?? Math.max(this.minRead, Math.min(DEFAULT_MAX_PIECE, this.budget.limit / 8))
    this.requestSize = options.requestSize ?? 8 * MiB
    this.resident = options.resident
    this.disk = options.disk
    this.buffers = new FetchBuffers(this.budget.limit / 2)
    if (this.maxWindow < this.initialWindow) throw new S3ConfigError('maxWindow: at least initialWindow')
    if (this.maxPiece < this.minRead) throw new S3ConfigError('maxPiece: at least minRead')
    if (!(this.minRead > 0 && this.requestSize > 0 && this.initialWindow > 0)) {
      throw new S3ConfigError('initialWindow, minRead, requestSize: positive')
    }
  }

  /**
   * A handle on the object `key` of `size` bytes (version `etag`: a changed object fails with
   * ESTALE), read through the kernel's handle `fh` (0: none).
   */
  open(key: string, size: number, etag?: string, fh = 0): ReadHandle {
    const id = etag === undefined ? undefined : `${size}/${etag}/${key}`
    let fetched = id === undefined ? undefined : this.objects.get(id)
    if (!fetched) {
      fetched = new FetchedObject(id)
      if (id !== undefined) this.objects.set(id, fetched)
    }
    if (fh !== 0 && this.resident?.available) {
      for (const chunk of fetched.chunks) if (chunk.arrived) this.resident.hold(fh, chunk.start, chunk.arrived, size)
      this.eachOnDisk(fetched, size, (start, length, fd) => this.resident!.holdFile(fh, start, length, fd, size))
    }
    const handle = new ReadHandle(key, size, etag, this.initialWindow, fh, fetched)
    fetched.readers.add(handle)
    return handle
  }

  /**
   * Reads up to `buffer.length` bytes at `position`; returns the count (0 at the end): at once
   * when every byte has arrived already, so that a read served from memory costs no Promise.
   */
  read(handle: ReadHandle, buffer: Buffer, position: number, caller?: ReadCaller): number | Promise<number> {
    const end = Math.min(handle.size, position + buffer.length)
    if (end <= position) return 0
    const tolerance = Math.max(buffer.length, 128 * KiB)
    const sequential = Math.abs(position - handle.nextOffset) <= tolerance && (handle.streak > 0 || position === handle.nextOffset)
    if (sequential) {
      handle.streak++
    } else {
      // A sequential reader that jumps leaves its read-ahead behind (what was fetched ahead and
      // never read, and what it read but a random reader's pieces). A reader that was random
      // already has nothing fetched ahead (only a run of sequential reads reads ahead): it keeps
      // what it read, for it comes back.
      if (handle.streak > 0) this.dropChunks(handle.fetched, (c) => c.owner === handle && (!c.kept || c.lastUse === 0) && (c.end <= position || c.start >= end))
      handle.streak = 0
      handle.window = this.initialWindow
    }
    handle.nextOffset = end
    // What is not held yet is fetched, at least minRead of it; a random reader's in aligned
    // pieces, so that what it keeps is found again by reads nearby.
    if (!this.holds(handle, position, end)) {
      // A random reader's piece that left memory for the disk.
      const { onDisk } = handle.fetched
      if (!sequential && onDisk && this.disk!.read(onDisk, buffer, position, end)) return end - position
      const piece = sequential ? this.minRead : this.randomPiece(handle.fetched)
      const from = sequential ? position : position - (position % piece)
      this.fetchMissing(handle, from, Math.min(handle.size, Math.max(end, from + piece)), caller?.signal, !sequential)
    }
    // A reader starting at the beginning most likely reads the whole file: read ahead at once.
    if (sequential && (handle.streak >= 2 || position === 0)) this.readAhead(handle, end)
    const done = () => {
      // What a sequential reader has passed it will not ask for again.
      if (sequential) this.dropChunks(handle.fetched, (c) => c.owner === handle && c.end <= position && !c.kept && !this.awaited(handle, c))
      else this.evictLeastUsed(handle, position, end)
      return end - position
    }
    if (this.copyArrived(handle, buffer, position, end)) return done()
    return this.copyOut(handle, buffer, position, end, caller?.signal).then(done)
  }

  /**
   * The piece a random miss on `fetched` fetches: minRead, doubled after every few misses that
   * come in a fast run, up to maxPiece (s3fs fetches whole files; a sparse reader fetching 4 KiB
   * here and there should not), back to minRead after a pause.
   */
  private randomPiece(fetched: FetchedObject): number {
    const now = performance.now()
    const gap = now - fetched.lastMissAt
    fetched.lastMissAt = now
    if (gap > SPARSE_GAP_MS || fetched.piece === 0) {
      fetched.piece = this.minRead
      fetched.runMisses = 0
    } else if (gap > RUN_GAP_MS) {
      fetched.runMisses = 0
    } else if (++fetched.runMisses >= MISSES_PER_DOUBLING && fetched.piece < this.maxPiece) {
      fetched.piece = Math.min(this.maxPiece, fetched.piece * 2)
      fetched.runMisses = 0
    }
    return fetched.piece
  }

  /**
   * Whether another sequential reader of the object (or one that has not read yet) comes up to
   * `chunk` within the longest read-ahead: it reads it soon (a second `cp` of the file just behind
   * the first), so the reader that passed it leaves it; the one that reads it last drops it.
   */
  private awaited(handle: ReadHandle, chunk: Chunk): boolean {
    for (const other of handle.fetched.readers) {
      const coming = other.streak > 0 || other.nextOffset === 0
      if (other !== handle && coming && other.nextOffset < chunk.end && chunk.start - other.nextOffset < this.maxWindow) return true
    }
    return false
  }

  /** Copies [start, end) when all of it has arrived; false (and nothing copied) otherwise. */
  private copyArrived(handle: ReadHandle, buffer: Buffer, start: number, end: number): boolean {
    const { chunks } = handle.fetched
    const first = firstEndingAfter(chunks, start)
    let at = start
    let last = first
    for (; last < chunks.length && at < end; last++) {
      const chunk = chunks[last]!
      const data = chunk.arrived
      // A gap, or bytes still on their way (or fewer than asked: copyOut tells why).
      if (chunk.start > at || !data || chunk.start + data.length < Math.min(end, chunk.end)) return false
      at = Math.min(end, chunk.end)
    }
    if (at < end) return false
    for (let i = first; i < last; i++) {
      const chunk = chunks[i]!
      const from = Math.max(start, chunk.start)
      const until = Math.min(end, chunk.end)
      chunk.arrived!.copy(buffer, from - start, from - chunk.start, until - chunk.start)
      chunk.lastUse = ++this.uses
      chunk.owner = handle
    }
    return true
  }

  /**
   * A random reader keeps what it read, in at most half the budget (the rest stays for
   * read-ahead): the pieces used longest ago go first, never those of the read just made, nor
   * what other readers of the object fetched ahead of them.
   */
  private evictLeastUsed(handle: ReadHandle, start: number, end: number): void {
    const { fetched } = handle
    while (this.budget.used > this.budget.limit / 2) {
      let oldest: Chunk | undefined
      for (const chunk of fetched.chunks) {
        if (chunk.waiters > 0 || (chunk.end > start && chunk.start < end) || !(chunk.kept || chunk.owner === handle)) continue
        if (!oldest || chunk.lastUse < oldest.lastUse) oldest = chunk
      }
      if (!oldest) return
      const victim = oldest
      // Written before its memory can be reused; offered on disk once its memory is released (the same offsets).
      const moved = this.toDisk(fetched, victim, handle.size)
      this.dropChunks(fetched, (c) => c === victim)
      if (moved.length > 0) this.holdOnDisk(fetched, moved, handle.size)
    }
  }

  /** Whether the handle's chunks (arrived or arriving) cover [start, end). */
  private holds(handle: ReadHandle, start: number, end: number): boolean {
    const { chunks } = handle.fetched
    let at = start
    for (let i = firstEndingAfter(chunks, start); i < chunks.length; i++) {
      const chunk = chunks[i]!
      if (chunk.start > at) return false
      at = chunk.end
      if (at >= end) return true
    }
    return false
  }

  /**
   * Forgets the handle: what it fetched ahead is cancelled and its memory released (what a read
   * still waits for, when that read ends); the pieces it kept stay for the object's other readers,
   * and go with the last of them.
   */
  close(handle: ReadHandle): void {
    handle.closed = true
    const { fetched } = handle
    fetched.readers.delete(handle)
    if (handle.fh !== 0 && this.resident?.available) {
      for (const chunk of fetched.chunks) if (chunk.arrived) this.resident.release(handle.fh, chunk.start)
      this.eachOnDisk(fetched, handle.size, (start) => this.resident?.release(handle.fh, start))
    }
    this.dropClosed(handle)
    if (fetched.readers.size > 0) return
    if (fetched.id !== undefined && this.objects.get(fetched.id) === fetched) this.objects.delete(fetched.id)
    if (fetched.onDisk) this.disk!.remove(fetched.onDisk)
  }

  /** Writes an evicted piece a random reader kept to disk; returns the blocks now there. */
  private toDisk(fetched: FetchedObject, chunk: Chunk, size: number): number[] {
    if (!this.disk || !chunk.kept || !chunk.arrived) return []
    fetched.onDisk ??= this.disk.create()
    return fetched.onDisk ? this.disk.put(fetched.onDisk, size, chunk.start, chunk.arrived) : []
  }

  /** The driver answers reads of these blocks from the object's piece file, for each of its readers' kernel handles. */
  private holdOnDisk(fetched: FetchedObject, blocks: number[], size: number): void {
    if (!this.resident?.available) return
    const { fd } = fetched.onDisk!
    for (const block of blocks) {
      const [start, length] = this.disk!.bytesOf(block, size)
      for (const { fh } of fetched.readers) if (fh !== 0) this.resident.holdFile(fh, start, length, fd, size)
    }
  }

  /** Calls `each` with the bytes of every block of the object on disk. */
  private eachOnDisk(fetched: FetchedObject, size: number, each: (start: number, length: number, fd: number) => void): void {
    const file = fetched.onDisk
    if (!file) return
    for (let block = 0, blocks = file.blocks.blockOf(size - 1); block <= blocks; block++) {
      if (!file.blocks.isHeld(block)) continue
      const [start, length] = this.disk!.bytesOf(block, size)
      each(start, length, file.fd)
    }
  }

  /** Frees what is on disk (the unmount). */
  destroy(): void {
    this.disk?.destroy()
  }

  /** What a closed handle leaves: its own read-ahead, or everything once the object has no reader. */
  private dropClosed(handle: ReadHandle): void {
    const { fetched } = handle
    if (fetched.readers.size === 0) return this.dropChunks(fetched, () => true)
    this.dropChunks(fetched, (c) => c.owner === handle && !c.kept)
    for (const chunk of fetched.chunks) if (chunk.owner === handle) chunk.owner = undefined
  }

  /** Requests the gaps of [start, end) not fetched yet, for a read the caller waits for. */
  private fetchMissing(handle: ReadHandle, start: number, end: number, signal?: AbortSignal, kept = false): void {
    let at = start
    for (const chunk of [...handle.fetched.chunks]) {
      if (chunk.end <= at) continue
      if (chunk.start >= end) break
      if (chunk.start > at) this.addChunk(handle, at, chunk.start, true, signal, undefined, kept)
      at = Math.max(at, chunk.end)
    }
    if (at < end) this.addChunk(handle, at, end, true, signal, undefined, kept)
  }

  /** Keeps `window` bytes fetched ahead of `end`, growing the window each time it is topped up. */
  private readAhead(handle: ReadHandle, end: number): void {
    const target = Math.min(handle.size, end + handle.window)
    let from = this.fetchedUpTo(handle, end)
    // Top up once less than half a window is left ahead: fewer, larger requests.
    if (from >= target || from - end >= handle.window / 2) return
    // At least four requests per window (of 1 MiB or more): the first bytes come sooner.
    const requestSize = Math.min(this.requestSize, Math.max(MiB, handle.window / 4))
    const { chunks } = handle.fetched
    while (from < target) {
      // Up to the next range fetched already (by this reader, or another of the object).
      const next = chunks[firstEndingAfter(chunks, from)]
      const length = Math.min(requestSize, target - from, (next?.start ?? Infinity) - from)
      if (!this.budget.tryAcquire(length)) break
      this.addChunk(handle, from, from + length, false, undefined, length)
      from = this.fetchedUpTo(handle, from + length)
    }
    // Grow only when the budget let the whole window through.
    if (from >= target) handle.window = Math.min(this.maxWindow, handle.window * 2)
  }

  /** Where the run of fetched ranges that covers `at` ends (`at` if none does). */
  private fetchedUpTo(handle: ReadHandle, at: number): number {
    const { chunks } = handle.fetched
    for (let i = firstEndingAfter(chunks, at); i < chunks.length && chunks[i]!.start <= at; i++) at = chunks[i]!.end
    return at
  }

  private addChunk(handle: ReadHandle, start: number, end: number, demand: boolean, signal?: AbortSignal, charged?: number, kept = false): void {
    if (charged === undefined) {
      charged = end - start
      this.budget.acquire(charged)
    }
    const cancel = new AbortController()
    // A read's own fetch also stops when the read is interrupted.
    const unlink = demand && signal ? linkAbort(signal, cancel) : undefined
    const buffer = this.buffers.take(end - start)
    const data = this.source.get(handle.key, { start, end, ifMatch: handle.etag, signal: cancel.signal, into: buffer })
    // A read-ahead nobody waits for may fail unseen; a reader that needs it fetches again.
    data.then(unlink, unlink).catch(() => undefined)
    const chunk: Chunk = { start, end, data, arrived: undefined, buffer, charged, cancel, demand, kept, lastUse: 0, waiters: 0, dropped: false, owner: handle }
    const { fetched } = handle
    data.then((arrived) => this.arrived(fetched, chunk, arrived, handle.size)).catch(() => undefined)
    const index = fetched.chunks.findIndex((c) => c.start > start)
    fetched.chunks.splice(index === -1 ? fetched.chunks.length : index, 0, chunk)
  }

  private arrived(fetched: FetchedObject, chunk: Chunk, arrived: Buffer, size: number): void {
    chunk.arrived = arrived
    if (chunk.dropped || !this.resident?.available) return
    for (const { fh } of fetched.readers) if (fh !== 0) this.resident.hold(fh, chunk.start, arrived, size)
  }

  private async copyOut(handle: ReadHandle, buffer: Buffer, start: number, end: number, signal?: AbortSignal): Promise<number> {
    let at = start
    let retried = false
    try {
      while (at < end) {
        let chunk = handle.fetched.chunks.find((c) => c.start <= at && c.end > at)
        if (!chunk) {
          // Dropped meanwhile (it failed): fetched again for this read.
          this.fetchMissing(handle, at, end, signal)
          chunk = handle.fetched.chunks.find((c) => c.start <= at && c.end > at)!
        }
        chunk.waiters++
        let data: Buffer
        try {
          data = await chunk.data
        } catch (error) {
          const failed = chunk
          this.dropChunks(handle.fetched, (c) => c === failed, true)
          // A failed read-ahead is fetched again for the reader, once; a fetch of the reader's own is the answer.
          if (chunk.demand || retried || signal?.aborted || (error as { code?: string }).code === 'ESTALE') throw error
          retried = true
          continue
        } finally {
          chunk.waiters--
        }
        chunk.lastUse = ++this.uses
        if (!handle.closed) chunk.owner = handle
        const available = chunk.start + data.length
        // Shorter than asked: the object shrank since it was opened.
        if (available <= at) throw new FsError('ESTALE', `${handle.key} is shorter than when it was opened`)
        const until = Math.min(end, available)
        data.copy(buffer, at - start, at - chunk.start, until - chunk.start)
        at = until
      }
      return end - start
    } finally {
      if (handle.closed) this.dropClosed(handle)
    }
  }

  /** Drops the chunks `drop` picks, but those reads wait for (they go when those reads end, or stay), unless `waited` (a failed fetch). */
  private dropChunks(fetched: FetchedObject, drop: (chunk: Chunk) => boolean, waited = false): void {
    // Most reads drop nothing: the list is copied only from the first chunk dropped.
    let kept: Chunk[] | undefined
    const { chunks } = fetched
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!
      if ((waited || chunk.waiters === 0) && drop(chunk)) {
        this.dropChunk(fetched, chunk)
        kept ??= chunks.slice(0, i)
      } else kept?.push(chunk)
    }
    if (kept) fetched.chunks = kept
  }

  private dropChunk(fetched: FetchedObject, chunk: Chunk): void {
    if (chunk.dropped) return
    chunk.dropped = true
    // Before its memory can be reused: the driver answers from it no more (it holds what arrived).
    if (chunk.arrived) for (const { fh } of fetched.readers) if (fh !== 0) this.resident?.release(fh, chunk.start)
    chunk.cancel.abort()
    this.budget.release(chunk.charged)
    // Nothing reads it once dropped (reads copy out synchronously, and none waits for it); the
    // fetch may still be writing into it until it settles.
    const giveBack = () => this.buffers.give(chunk.buffer)
    chunk.data.then(giveBack, giveBack)
  }
}

/** The index of the first chunk that ends after `at` (a handle's chunks are in order and do not overlap). */
function firstEndingAfter(chunks: readonly Chunk[], at: number): number {
  let low = 0
  let high = chunks.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (chunks[middle]!.end <= at) low = middle + 1
    else high = middle
  }
  return low
}
