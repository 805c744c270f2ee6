import { allocateRetained, releaseRetained } from '@fusekit/core'

/** Each slab is one ArrayBuffer of this size (measured: fewer mark-compacts than 1 or 4 MiB). */
export const SLAB_SIZE = 16 * 1024 * 1024
/** Empty slabs kept for reuse; any more are dropped for the garbage collector. */
export const MAX_IDLE_SLABS = 1

interface Slab {
  readonly memory: Buffer
  /** Indices of the slots not handed out. */
  readonly free: number[]
}

/**
 * Fixed-size chunks carved out of large slabs. V8's garbage collector does work per ArrayBuffer
 * and per change of external memory; a Buffer per chunk made a 1 GiB write spend a third of its
 * CPU in marking and sweeping. A chunk is a view of a slab: no ArrayBuffer of its own.
 *
 * Chunks are handed out uninitialised, possibly holding another file's old bytes: the caller
 * writes or zeroes all of one before anything reads it. New chunks come from the fullest slab that
 * has room, so that lightly used slabs drain and can be dropped.
 */
export class ChunkPool {
  private readonly slabs = new Map<ArrayBuffer, Slab>()
  /** Slabs with room, by the number of their free slots (index 0 unused: full slabs are in none). */
  private readonly byFree: Set<Slab>[]
  private readonly slotsPerSlab: number

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
    if (slab.free.length === this.slotsPerSlab && this.byFree[this.slotsPerSlab]!.size >= this.maxIdleSlabs) {
      this.slabs.delete(slab.memory.buffer as ArrayBuffer)
      releaseRetained(slab.memory)
    } else {
      this.byFree[slab.free.length]!.add(slab)
    }
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
    const slab: Slab = { memory, free: Array.from({ length: this.slotsPerSlab }, (_, i) => this.slotsPerSlab - 1 - i) }
    this.slabs.set(memory.buffer as ArrayBuffer, slab)
    this.byFree[this.slotsPerSlab]!.add(slab)
    return slab
  }
}
