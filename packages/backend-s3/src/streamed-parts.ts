import type { FetchBuffers } from './fetch-buffers.js'
import type { StagingStore } from './staging-store.js'

/**
 * A new file's bytes while it is written from its start, in part-sized buffers reused from one
 * pool instead of a staging file. Why: the staging file's page cache is fresh memory for every
 * file, which a VM gets back from its host one fault at a time (half of the mount's CPU in a
 * 256 MiB write, docs/benchmarks.md); reused buffers are memory it already has. A part its
 * EagerUpload has sent gives its buffer back (`drop`): its bytes are then only in that upload,
 * which WriteStaging completes before anything else needs them.
 *
 * Buffers go back to the pool only when no upload can still be sending from them: a dropped
 * part's (its upload ended), or all of them at `close(true)` after the whole file was uploaded.
 */
export class StreamedParts implements StagingStore {
  private readonly held = new Map<number, Buffer>()
  private length = 0

  constructor(
    readonly partSize: number,
    private readonly pool: FetchBuffers,
    /** Told of each buffer taken (+partSize) or let go (-partSize). */
    private readonly account: (bytes: number) => void,
  ) {}

  /** Parts whose bytes are held here. */
  get heldParts(): number {
    return this.held.size
  }

  /** The held parts: index, and buffer (its first partSize bytes are the part's). */
  parts(): IterableIterator<[number, Buffer]> {
    return this.held.entries()
  }

  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    // Reused buffers hold old bytes: a gap before the write reads as zeros.
    if (position > this.length) this.fill(this.length, position, (part, from, to) => part.fill(0, from, to))
    this.fill(position, position + length, (part, from, to, done) => buffer.copy(part, from, offset + done, offset + done + to - from))
    this.length = Math.max(this.length, position + length)
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const bytesRead = Math.max(0, Math.min(length, this.length - position))
    this.each(position, position + bytesRead, (index, from, to, done) => this.bytesOf(index).copy(buffer, offset + done, from, to))
    return { bytesRead }
  }

  /** Shrinks (the bytes past the end are let go) or grows with zeros. */
  async truncate(length: number): Promise<void> {
    if (length > this.length) this.fill(this.length, length, (part, from, to) => part.fill(0, from, to))
    for (const [index, buffer] of this.held) {
      if (index * this.partSize < length) continue
      this.held.delete(index)
      this.letGo(buffer, false)
    }
    this.length = length
  }

  /** Lets every buffer go; `reuse`: back to the pool (no upload sends from them any more). */
  async close(reuse = false): Promise<void> {
    for (const buffer of this.held.values()) this.letGo(buffer, reuse)
    this.held.clear()
    this.length = 0
  }

  /** Bytes [start, start + length) of one part, for its upload. */
  body(start: number, length: number): Buffer {
    const index = Math.floor(start / this.partSize)
    const within = start - index * this.partSize
    return this.bytesOf(index).subarray(within, within + length)
  }

  /** Part `index` was sent (its upload ended): its buffer goes back to the pool. */
  drop(index: number): void {
    const buffer = this.held.get(index)
    if (!buffer) return
    this.held.delete(index)
    this.letGo(buffer, true)
  }

  /** Calls `visit` for each part's piece of [start, end): its index, the piece within it, and the bytes before it. */
  private each(start: number, end: number, visit: (index: number, from: number, to: number, done: number) => void): void {
    for (let at = start; at < end; ) {
      const index = Math.floor(at / this.partSize)
      const from = at - index * this.partSize
      const to = Math.min(this.partSize, from + end - at)
      visit(index, from, to, at - start)
      at += to - from
    }
  }

  /** each() over the parts' buffers, taking those missing. */
  private fill(start: number, end: number, visit: (part: Buffer, from: number, to: number, done: number) => void): void {
    this.each(start, end, (index, from, to, done) => visit(this.part(index), from, to, done))
  }

  /** The buffer of part `index`, taken from the pool if it has none. */
  private part(index: number): Buffer {
    let buffer = this.held.get(index)
    if (!buffer) {
      buffer = this.pool.take(this.partSize)
      this.held.set(index, buffer)
      this.account(this.partSize)
    }
    return buffer
  }

  private bytesOf(index: number): Buffer {
    const buffer = this.held.get(index)
    // WriteStaging completes the upload before anything reads a dropped part.
    if (!buffer) throw new Error(`part ${index} is only in its upload`)
    return buffer
  }

  private letGo(buffer: Buffer, reuse: boolean): void {
    if (reuse) this.pool.give(buffer)
    this.account(-this.partSize)
  }
}
