import { FsError } from '@fusekit/core'
import type { Capacity } from './capacity.js'
import type { ChunkPool } from './chunk-pool.js'

/** Files are stored in chunks of this size, each allocated only when written to. */
export const CHUNK_SIZE = 64 * 1024
/** Allocation granularity within a chunk, as a page of tmpfs. */
export const PAGE_SIZE = 4096
/** Offsets are JavaScript numbers: beyond this they lose precision. */
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER

const roundToPage = (n: number) => Math.ceil(n / PAGE_SIZE) * PAGE_SIZE

/**
 * The bytes of a regular file: a sparse map of chunks. A chunk holds the first bytes of its
 * 64 KiB range and grows (doubling, in whole pages) as writes reach further into it; a missing
 * chunk, or the part of a range past its chunk's end, is a hole that reads as zeros. Every
 * allocated byte that is not file data is zero, so holes and truncated tails need no bookkeeping.
 * Whole chunks come from the mount's pool, partial ones (small files' first pages) are Buffers
 * of their own: a chunk is pooled exactly when it is CHUNK_SIZE long.
 */
export class FileContent {
  private readonly chunks = new Map<number, Buffer>()
  private length = 0
  private allocatedBytes = 0

  constructor(
    private readonly capacity: Capacity,
    private readonly pool: ChunkPool,
  ) {}

  get size(): number {
    return this.length
  }

  /** Bytes really allocated (a multiple of the page size). */
  get allocated(): number {
    return this.allocatedBytes
  }

  /** Copies the bytes at `position` into `target`; returns the count (short at end of file). */
  read(target: Buffer, position: number): number {
    const end = Math.min(this.length, position + target.length)
    let pos = position
    while (pos < end) {
      const index = Math.floor(pos / CHUNK_SIZE)
      const within = pos - index * CHUNK_SIZE
      const count = Math.min(CHUNK_SIZE - within, end - pos)
      const offset = pos - position
      const chunk = this.chunks.get(index)
      let stored = 0
      if (chunk !== undefined && chunk.length > within) {
        stored = Math.min(count, chunk.length - within)
        chunk.copy(target, offset, within, within + stored)
      }
      if (stored < count) target.fill(0, offset + stored, offset + count)
      pos += count
    }
    return Math.max(0, end - position)
  }

  /** Writes all of `source` at `position`, or throws (ENOSPC, EFBIG) having changed nothing. */
  write(source: Buffer, position: number): void {
    const end = position + source.length
    if (end > MAX_FILE_SIZE) throw new FsError('EFBIG', `a write up to byte ${end} is past the largest file size`)
    if (source.length === 0) return
    // Grow chunks by doubling when there is room; near a full capacity, by exactly what is needed.
    let generous = true
    let growth = this.growthFor(position, end, generous)
    if (!this.capacity.fits(growth)) {
      generous = false
      growth = this.growthFor(position, end, generous)
    }
    this.capacity.reserve(growth)
    this.allocatedBytes += growth

    let pos = position
    while (pos < end) {
      const index = Math.floor(pos / CHUNK_SIZE)
      const within = pos - index * CHUNK_SIZE
      const count = Math.min(CHUNK_SIZE - within, end - pos)
      let chunk = this.chunks.get(index)
      if (chunk === undefined || chunk.length < within + count) {
        chunk = this.resized(chunk, chunk?.length ?? 0, targetLength(chunk?.length ?? 0, within + count, generous), within, within + count)
        this.chunks.set(index, chunk)
      }
      source.copy(chunk, within, pos - position, pos - position + count)
      pos += count
    }
    if (end > this.length) this.length = end
  }

  /** Sets the size: shrinking frees what lies beyond, growing leaves a hole (allocates nothing). */
  truncate(size: number): void {
    if (size > MAX_FILE_SIZE) throw new FsError('EFBIG', `${size} is past the largest file size`)
    if (size < this.length) this.shrink(size)
    this.length = size
  }

  /** Frees all storage. */
  release(): void {
    for (const chunk of this.chunks.values()) this.free(chunk)
    this.chunks.clear()
    this.capacity.release(this.allocatedBytes)
    this.allocatedBytes = 0
    this.length = 0
  }

  private growthFor(position: number, end: number, generous: boolean): number {
    let growth = 0
    const first = Math.floor(position / CHUNK_SIZE)
    const last = Math.floor((end - 1) / CHUNK_SIZE)
    for (let index = first; index <= last; index++) {
      const needed = Math.min(CHUNK_SIZE, end - index * CHUNK_SIZE)
      const current = this.chunks.get(index)?.length ?? 0
      if (current < needed) growth += targetLength(current, needed, generous) - current
    }
    return growth
  }

  private shrink(size: number): void {
    const kept = Math.ceil(size / CHUNK_SIZE)
    let freed = 0
    const drop = (index: number) => {
      const chunk = this.chunks.get(index)
      if (chunk === undefined) return
      this.chunks.delete(index)
      this.free(chunk)
      freed += chunk.length
    }
    // Visit whichever is fewer: the chunk indices cut off, or the chunks that exist.
    const cutOff = Math.ceil(this.length / CHUNK_SIZE) - kept
    if (cutOff <= this.chunks.size) {
      for (let index = kept; index < kept + cutOff; index++) drop(index)
    } else {
      for (const index of this.chunks.keys()) if (index >= kept) drop(index)
    }

    const within = size - (kept - 1) * CHUNK_SIZE
    const tail = kept > 0 && within < CHUNK_SIZE ? this.chunks.get(kept - 1) : undefined
    if (tail !== undefined && tail.length > within) {
      const length = roundToPage(within)
      if (length < tail.length) {
        this.chunks.set(kept - 1, this.resized(tail, within, length, within, within))
        freed += tail.length - length
      } else {
        tail.fill(0, within)
      }
    }
    this.capacity.release(freed)
    this.allocatedBytes -= freed
  }

  /**
   * A new chunk of `length` bytes holding the first `keep` bytes of `old` (which it frees), with
   * zeros everywhere but [writeStart, writeEnd), which the caller fills at once (no point zeroing
   * what is overwritten next). Zeroing also wipes what a reused chunk held for another file.
   */
  private resized(old: Buffer | undefined, keep: number, length: number, writeStart: number, writeEnd: number): Buffer {
    const next = length === CHUNK_SIZE ? this.pool.take() : Buffer.allocUnsafeSlow(length)
    const kept = old === undefined ? 0 : old.copy(next, 0, 0, Math.min(keep, length))
    if (writeStart > kept) next.fill(0, kept, writeStart)
    const zeroFrom = Math.max(kept, writeEnd)
    if (zeroFrom < length) next.fill(0, zeroFrom)
    if (old !== undefined) this.free(old)
    return next
  }

  private free(chunk: Buffer): void {
    if (chunk.length === CHUNK_SIZE) this.pool.give(chunk)
  }
}

function targetLength(current: number, needed: number, generous: boolean): number {
  const exact = roundToPage(needed)
  return generous && current > 0 ? Math.min(CHUNK_SIZE, Math.max(exact, current * 2)) : exact
}

