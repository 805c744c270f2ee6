import { allocateRetained, releaseRetained } from '@fusekit/core'

/** Each slab is one ArrayBuffer of this size (measured: fewer mark-compacts than 1 or 4 MiB). */
export const SLAB_SIZE = 16 * 1024 * 1024
/** Empty slabs kept for reuse however long they stay empty. */
export const MAX_IDLE_SLABS = 1
/** How long the other empty slabs are kept for reuse before they go to the garbage collector. */
export const IDLE_SLAB_MS = 10_000

interface Slab {
  readonly memory: Buffer
  /** Indices of the slots not handed out. */
  readonly free: number[]
  /** When its last chunk was given back (performance.now()), while it is empty. */
  emptySince: number
}

/**
 * Fixed-size chunks carved out of large slabs. V8's garbage collector does work per ArrayBuffer
 * and per change of external memory; a Buffer per chunk made a 1 GiB write spend a third of its
 * CPU in marking and sweeping. A chunk is a view of a slab: no ArrayBuffer of its own.
 *
 * Chunks are handed out uninitialised, possibly holding another file's old bytes: the caller
 * writes or zeroes all of one before anything reads it. New chunks come from the fullest slab that
 * has room, so that lightly used slabs drain and can be dropped.
 *
 * A slab that empties is kept for IDLE_SLAB_MS (one of them for good), as malloc's arenas keep
 * freed pages a while: a file rewritten or replaced (O_TRUNC, then the same size again) reuses
 * pages already present. Dropped at once, a slab's memory went back only when V8 collected its
 * Buffer, while the new write faulted in fresh pages the kernel had to zero: a 512 MiB rewrite
 * took 0.43 s of the mount's CPU (now 0.24–0.27 s; the first write, into fresh slabs, 0.49) and
 * its peak RSS was 677 MiB (now 586).
 */
export class ChunkPool {
  private readonly slabs = new Map<ArrayBuffer, Slab>()
  /** Slabs with room, by the number of their free slots (index 0 unused: full slabs are in none). */
  private readonly byFree: Set<Slab>[]
  private readonly slotsPerSlab: number
  /** Set while empty slabs beyond MAX_IDLE_SLABS wait to be dropped. */
  private idleTimer: NodeJS.Timeout | undefined

  constructor(
    readonly chunkSize: number,
    slabSize = SLAB_SIZE,
    private readonly maxIdleSlabs = MAX_IDLE_SLABS,
  ) {
    if (slabSize % chunkSize !== 0) throw new RangeError(`a ${slabSize}-byte slab does not hold whole ${chunkSize}-byte chunks`)
    this.slotsPerSlab = slabSize / chunkSize
    this.byFree = Array.from({ length: this.slotsPerSlab + 1 }, () => new Set<Slab>())
  }

  /** Bytes held in slabs, handed out or not. */
  get reservedBytes(): number {
    return this.slabs.size * this.slotsPerSlab * this.chunkSize
  }

  /** Bytes in chunks handed out and not given back. */
  get usedBytes(): number {
    let free = 0
    for (const slab of this.slabs.values()) free += slab.free.length
    return (this.slabs.size * this.slotsPerSlab - free) * this.chunkSize
  }

  /** A chunk of `chunkSize` bytes, contents undefined. */
  take(): Buffer {
    const slab = this.fullestWithRoom() ?? this.newSlab()
    this.byFree[slab.free.length]!.delete(slab)
    const slot = slab.free.pop()!
    if (slab.free.length > 0) this.byFree[slab.free.length]!.add(slab)
    const start = slot * this.chunkSize
    return slab.memory.subarray(start, start + this.chunkSize)
  }

  /** Takes back a chunk from `take`; the caller must not use it afterwards. */
  give(chunk: Buffer): void {
    const slab = this.slabs.get(chunk.buffer as ArrayBuffer)
    const slot = slab === undefined ? -1 : (chunk.byteOffset - slab.memory.byteOffset) / this.chunkSize
    // A chunk given twice would later be handed to two files at once.
    if (slab === undefined || chunk.length !== this.chunkSize || slab.free.includes(slot)) throw new Error('not a chunk of this pool in use')
    this.byFree[slab.free.length]?.delete(slab)
    slab.free.push(slot)
    this.byFree[slab.free.length]!.add(slab)
    if (slab.free.length === this.slotsPerSlab) {
      slab.emptySince = performance.now()
      this.dropIdleLater()
    }
  }

  /** Drops the slabs empty for IDLE_SLAB_MS, but MAX_IDLE_SLABS (the most recently emptied). */
  private dropIdle(): void {
    this.idleTimer = undefined
    const now = performance.now()
    const empty = [...this.byFree[this.slotsPerSlab]!].sort((a, b) => a.emptySince - b.emptySince)
    for (const slab of empty.slice(0, Math.max(0, empty.length - this.maxIdleSlabs))) {
      if (now - slab.emptySince < IDLE_SLAB_MS) break
      this.byFree[this.slotsPerSlab]!.delete(slab)
      this.slabs.delete(slab.memory.buffer as ArrayBuffer)
      releaseRetained(slab.memory)
    }
    this.dropIdleLater()
  }

  private dropIdleLater(): void {
    if (this.idleTimer !== undefined || this.byFree[this.slotsPerSlab]!.size <= this.maxIdleSlabs) return
    // Not a reason to keep the process alive: at exit the memory goes anyway.
    this.idleTimer = setTimeout(() => this.dropIdle(), IDLE_SLAB_MS).unref()
  }

  private fullestWithRoom(): Slab | undefined {
    for (let free = 1; free <= this.slotsPerSlab; free++) {
      const slabs = this.byFree[free]!
      if (slabs.size > 0) return slabs.values().next().value
    }
    return undefined
  }

  private newSlab(): Slab {
    // A Buffer of its own (never a slice of Node's shared small-buffer pool), kept out of V8's
    // external-memory pressure: file contents cannot be collected, only marked for nothing. Its
    // pages are made present at once: a slab is made when a file fills a whole chunk, and files
    // that do mostly go on filling.
    const memory = allocateRetained(this.slotsPerSlab * this.chunkSize, { prefault: true })
    const slab: Slab = { memory, free: Array.from({ length: this.slotsPerSlab }, (_, i) => this.slotsPerSlab - 1 - i), emptySince: 0 }
    this.slabs.set(memory.buffer as ArrayBuffer, slab)
    this.byFree[this.slotsPerSlab]!.add(slab)
    return slab
  }
}
