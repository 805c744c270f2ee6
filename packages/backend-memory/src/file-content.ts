import { FsError, allocateRetained, releaseRetained } from '@fusekit/core'
import type { Capacity } from './capacity.js'
import type { ChunkPool } from './chunk-pool.js'
import { CHUNK_SIZE, PAGE_SIZE, endOfLastPage, firstPage, pageCount, pagesFrom, pagesTouched, pagesWithin } from './chunk-pages.js'

/** Offsets are JavaScript numbers: beyond this they lose precision. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER

const roundToPage = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE

/** What a hole reads as: never written to (reads hand out views of it). */
const ZEROS = Buffer.alloc(CHUNK_SIZE)

/** Where file bytes come from: one for all the files of a mount. */
export interface FileStorage {
  readonly capacity: Capacity
  /** Whole chunks; partial ones are Buffers of their own. */
  readonly pool: ChunkPool
}

/** One CHUNK_SIZE range of a file. */
class Chunk {
  constructor(
    /** The range's first bytes, a whole number of pages; zero wherever nothing was written. */
    public data: Buffer,
    /** Pages allocated (bit i: page i of the range): what st_blocks counts. */
    public allocated = 0,
    /** Pages written to. An allocated page never written reads as zeros and is a hole to SEEK_DATA, as on tmpfs. */
    public written = 0,
  ) {}
}

/**
 * The bytes of a regular file: a sparse map of chunks. A chunk holds the first bytes of its
 * 64 KiB range and grows (doubling, in whole pages) as writes reach further into it; a missing
 * chunk, or the part of a range past its chunk's end, is a hole that reads as zeros. Every
 * stored byte that is not file data is zero, so holes and truncated tails need no bookkeeping.
 * Whole chunks come from the mount's pool, partial ones (small files' first pages) are Buffers
 * of their own (kept out of V8's external-memory pressure too, see allocateRetained): a chunk is
 * pooled exactly when it is CHUNK_SIZE long.
 *
 * Pages are allocated and freed as tmpfs does (write, fallocate, hole punching, truncation), and
 * st_blocks counts them; the capacity is charged for the bytes really stored, which can be more
 * (a chunk's doubling room, or a hole punched between allocated pages of one chunk).
 */
export class FileContent {
  /** Made on the first allocation: an empty file holds no map. */
  private chunks: Map<number, Chunk> | undefined = undefined
  private length = 0
  private pages = 0
  /** No chunk holds bytes at or past this offset (fallocate with KEEP_SIZE stores past the end). */
  private storedEnd = 0

  constructor(private readonly storage: FileStorage) {}

  get size(): number {
    return this.length
  }

  /** Pages allocated, as st_blocks shows them. */
  get allocatedPages(): number {
    return this.pages
  }

  /** Copies the bytes at `position` into `target`; returns the count (short at end of file). */
  read(target: Buffer, position: number): number {
    let offset = 0
    return this.eachRange(position, target.length, (bytes) => (offset += bytes.copy(target, offset)))
  }

  /**
   * The bytes at `position`, at most `size` of them (fewer at the end of the file), as views of
   * the stored chunks in order, holes as views of zeros: valid until the content next changes.
   */
  slices(position: number, size: number): Buffer[] {
    const slices: Buffer[] = []
    this.eachRange(position, size, (bytes) => slices.push(bytes))
    return slices
  }

  /** Gives `take` the bytes of [position, position + size) up to the end of the file, in order; returns their count. */
  private eachRange(position: number, size: number, take: (bytes: Buffer) => void): number {
    const end = Math.min(this.length, position + size)
    for (let pos = position; pos < end; ) {
      const index = Math.floor(pos / CHUNK_SIZE)
      const within = pos - index * CHUNK_SIZE
      const count = Math.min(CHUNK_SIZE - within, end - pos)
      const data = this.chunks?.get(index)?.data
      const stored = data === undefined ? 0 : Math.max(0, Math.min(count, data.length - within))
      // A whole chunk, or a whole hole, is handed out as it is: a sequential read makes no view.
      if (stored > 0) take(within === 0 && stored === data!.length ? data! : data!.subarray(within, within + stored))
      if (stored < count) take(count - stored === ZEROS.length ? ZEROS : ZEROS.subarray(0, count - stored))
      pos += count
    }
    return Math.max(0, end - position)
  }

  /** Writes all of `source` at `position`, or throws (ENOSPC, EFBIG) having changed nothing. */
  write(source: Buffer, position: number): void {
    const end = position + source.length
    checkEnd(end)
    if (source.length === 0) return
    this.store(position, end, true)
    this.eachPiece(position, end, (index, from, to) => {
      const chunk = this.stored(index)
      const at = index * CHUNK_SIZE + from - position
      source.copy(chunk.data, from, at, at + to - from)
      this.allocateIn(chunk, pagesTouched(from, to), true)
    })
    if (end > this.length) this.length = end
  }

  /**
   * copy_file_range: copies `count` bytes of `source` from `from` to `position` here, a piece at
   * a time (holes are copied as zeros, as tmpfs copies them); a copy that runs out of space after
   * some progress stops short. Returns the count copied.
   */
  copyFrom(source: FileContent, from: number, position: number, count: number): number {
    const piece = Buffer.allocUnsafe(Math.min(count, CHUNK_SIZE))
    let copied = 0
    while (copied < count) {
      const read = source.read(piece.subarray(0, Math.min(piece.length, count - copied)), from + copied)
      if (read === 0) break
      try {
        this.write(piece.subarray(0, read), position + copied)
      } catch (error) {
        if (copied > 0 && error instanceof FsError && error.code === 'ENOSPC') break
        throw error
      }
      copied += read
    }
    return copied
  }

  /** fallocate: allocates the pages of [position, end) (zeros, holes to SEEK_DATA); the size grows unless `keepSize`. */
  allocate(position: number, end: number, keepSize: boolean): void {
    checkEnd(end)
    this.store(position, end, false)
    this.eachPiece(position, end, (index, from, to) => this.allocateIn(this.stored(index), pagesTouched(from, to), false))
    if (!keepSize && end > this.length) this.length = end
  }

  /** FALLOC_FL_ZERO_RANGE: [position, end) reads as zeros, allocated; the size grows unless `keepSize`. */
  zeroRange(position: number, end: number, keepSize: boolean): void {
    checkEnd(end)
    this.store(position, end, false)
    this.eachPiece(position, end, (index, from, to) => {
      const chunk = this.stored(index)
      chunk.data.fill(0, from, to)
      this.allocateIn(chunk, pagesTouched(from, to), false)
      chunk.written &= ~pagesWithin(from, to)
    })
    if (!keepSize && end > this.length) this.length = end
  }

  /** FALLOC_FL_PUNCH_HOLE: [position, end) reads as zeros; the pages wholly inside are freed. */
  punchHole(position: number, end: number): void {
    for (const [index, chunk] of this.chunksIn(position, end)) {
      const base = index * CHUNK_SIZE
      const from = Math.max(0, position - base)
      const to = Math.min(CHUNK_SIZE, end - base)
      if (from < chunk.data.length) chunk.data.fill(0, from, Math.min(to, chunk.data.length))
      this.free(index, chunk, pagesWithin(from, to))
    }
  }

  /**
   * Sets the size. Growing leaves a hole (allocates nothing); otherwise, as tmpfs, everything
   * past the new size is freed, pages allocated past the old end (KEEP_SIZE) included.
   */
  truncate(size: number): void {
    checkEnd(size)
    if (size <= this.length) {
      for (const [index, chunk] of this.chunksIn(size, Infinity)) {
        const from = Math.max(0, size - index * CHUNK_SIZE)
        // The page holding the new end stays, zeroed past it.
        if (from < chunk.data.length) chunk.data.fill(0, from, Math.min(roundToPage(from), chunk.data.length))
        this.free(index, chunk, pagesFrom(Math.ceil(from / PAGE_SIZE)))
      }
      this.storedEnd = Math.min(this.storedEnd, roundToPage(size))
    }
    this.length = size
  }

  /**
   * lseek's SEEK_DATA (`data`) or SEEK_HOLE from `position`, page by page as tmpfs answers: data
   * is what was written; the end of the file is a hole. ENXIO from the end on, and for
   * SEEK_DATA when no data follows.
   */
  seek(position: number, data: boolean): number {
    if (position >= this.length) throw new FsError('ENXIO')
    const found = data ? this.nextWritten(position) : this.nextUnwritten(position)
    if (found < this.length) return found
    if (data) throw new FsError('ENXIO')
    return this.length
  }

  /** Frees all storage. */
  release(): void {
    let stored = 0
    for (const chunk of this.chunks?.values() ?? []) {
      stored += chunk.data.length
      this.giveBack(chunk.data)
    }
    this.storage.capacity.release(stored)
    this.chunks = undefined
    this.length = 0
    this.pages = 0
    this.storedEnd = 0
  }

  /**
   * Makes the chunks hold [position, end), zeroed except where a write is about to land
   * (`writing`), reserving the capacity first: all or nothing (ENOSPC). Writes grow chunks by
   * doubling when there is room, fallocate by exactly what is needed.
   */
  private store(position: number, end: number, writing: boolean): void {
    const { capacity } = this.storage
    // As tmpfs: a range larger than the whole filesystem is refused before looking at what is stored.
    if (end - position > capacity.total) throw new FsError('ENOSPC', `${end - position} bytes are more than the capacity`)
    let generous = writing
    let growth = this.growthFor(position, end, generous)
    if (generous && !capacity.fits(growth)) {
      generous = false
      growth = this.growthFor(position, end, generous)
    }
    capacity.reserve(growth)
    const chunks = (this.chunks ??= new Map())
    this.eachPiece(position, end, (index, from, to) => {
      const chunk = chunks.get(index)
      const current = chunk?.data.length ?? 0
      if (current >= to) return
      const length = targetLength(current, to, generous)
      const data = this.resized(chunk?.data, current, length, writing ? from : length, writing ? to : length)
      if (chunk) chunk.data = data
      else chunks.set(index, new Chunk(data))
      this.storedEnd = Math.max(this.storedEnd, index * CHUNK_SIZE + length)
    })
  }

  /** A chunk that store() made. */
  private stored(index: number): Chunk {
    return this.chunks!.get(index)!
  }

  /** Calls `visit` with each chunk index that [position, end) touches and the part of its range inside. */
  private eachPiece(position: number, end: number, visit: (index: number, from: number, to: number) => void): void {
    const last = Math.floor((end - 1) / CHUNK_SIZE)
    for (let index = Math.floor(position / CHUNK_SIZE); index <= last; index++) {
      const base = index * CHUNK_SIZE
      visit(index, Math.max(0, position - base), Math.min(CHUNK_SIZE, end - base))
    }
  }

  /** The chunks holding bytes of [start, end), visiting whichever is fewer: the indices, or the chunks that exist. */
  private *chunksIn(start: number, end: number): Generator<[number, Chunk]> {
    const chunks = this.chunks
    const stop = Math.min(end, this.storedEnd)
    if (chunks === undefined || start >= stop) return
    const first = Math.floor(start / CHUNK_SIZE)
    const last = Math.ceil(stop / CHUNK_SIZE)
    if (last - first <= chunks.size) {
      for (let index = first; index < last; index++) {
        const chunk = chunks.get(index)
        if (chunk !== undefined) yield [index, chunk]
      }
    } else {
      for (const entry of chunks) if (entry[0] >= first && entry[0] < last) yield entry
    }
  }

  private allocateIn(chunk: Chunk, pages: number, written: boolean): void {
    this.pages += pageCount(pages & ~chunk.allocated)
    chunk.allocated |= pages
    if (written) chunk.written |= pages
  }

  /** Frees `pages` of a chunk; it then shrinks to its last allocated page, or goes. */
  private free(index: number, chunk: Chunk, pages: number): void {
    this.pages -= pageCount(chunk.allocated & pages)
    chunk.allocated &= ~pages
    chunk.written &= ~pages
    const keep = endOfLastPage(chunk.allocated)
    const length = chunk.data.length
    if (keep >= length) return
    if (keep === 0) {
      this.chunks?.delete(index)
      this.giveBack(chunk.data)
    } else {
      chunk.data = this.resized(chunk.data, keep, keep, keep, keep)
    }
    this.storage.capacity.release(length - keep)
  }

  /**
   * The first written byte from `position` on (Infinity for none). Chunks are looked at in order
   * first, which finds nearby data at once; past as many indices as there are chunks, one pass
   * over the chunks costs less.
   */
  private nextWritten(position: number): number {
    const chunks = this.chunks
    if (chunks === undefined) return Infinity
    const first = Math.floor(position / CHUNK_SIZE)
    const fromPage = Math.floor((position - first * CHUNK_SIZE) / PAGE_SIZE)
    const writtenIn = (index: number, chunk: Chunk) => chunk.written & pagesFrom(index === first ? fromPage : 0)
    const last = Math.min(Math.ceil(Math.min(this.length, this.storedEnd) / CHUNK_SIZE), first + chunks.size)
    for (let index = first; index < last; index++) {
      const chunk = chunks.get(index)
      const pages = chunk === undefined ? 0 : writtenIn(index, chunk)
      if (pages !== 0) return Math.max(position, index * CHUNK_SIZE + firstPage(pages) * PAGE_SIZE)
    }
    let found = Infinity
    for (const [index, chunk] of this.chunksIn(last * CHUNK_SIZE, this.length)) {
      const pages = writtenIn(index, chunk)
      if (pages !== 0) found = Math.min(found, index * CHUNK_SIZE + firstPage(pages) * PAGE_SIZE)
    }
    return found
  }

  /** The first byte from `position` on in a page not written (the end of the file if none). */
  private nextUnwritten(position: number): number {
    for (let index = Math.floor(position / CHUNK_SIZE); index * CHUNK_SIZE < this.length; index++) {
      const base = index * CHUNK_SIZE
      const holes = ~(this.chunks?.get(index)?.written ?? 0) & pagesFrom(Math.max(0, Math.floor((position - base) / PAGE_SIZE)))
      if (holes !== 0) return Math.max(position, base + firstPage(holes) * PAGE_SIZE)
    }
    return this.length
  }

  private growthFor(position: number, end: number, generous: boolean): number {
    let growth = 0
    this.eachPiece(position, end, (index, _from, to) => {
      const current = this.chunks?.get(index)?.data.length ?? 0
      if (current < to) growth += targetLength(current, to, generous) - current
    })
    return growth
  }

  /**
   * A new chunk buffer of `length` bytes holding the first `keep` bytes of `old` (which it
   * frees), with zeros everywhere but [writeStart, writeEnd), which the caller fills at once (no
   * point zeroing what is overwritten next). Zeroing also wipes what a reused chunk held for
   * another file.
   */
  private resized(old: Buffer | undefined, keep: number, length: number, writeStart: number, writeEnd: number): Buffer {
    const next = length === CHUNK_SIZE ? this.storage.pool.take() : allocateRetained(length)
    const kept = old === undefined ? 0 : old.copy(next, 0, 0, Math.min(keep, length))
    if (writeStart > kept) next.fill(0, kept, writeStart)
    const zeroFrom = Math.max(kept, writeEnd)
    if (zeroFrom < length) next.fill(0, zeroFrom)
    if (old !== undefined) this.giveBack(old)
    return next
  }

  private giveBack(data: Buffer): void {
    if (data.length === CHUNK_SIZE) this.storage.pool.give(data)
    else releaseRetained(data)
  }
}

function checkEnd(end: number): void {
  if (end > MAX_FILE_SIZE) throw new FsError('EFBIG', `byte ${end} is past the largest file size`)
}

function targetLength(current: number, needed: number, generous: boolean): number {
  const exact = roundToPage(needed)
  return generous && current > 0 ? Math.min(CHUNK_SIZE, Math.max(exact, current * 2)) : exact
}
