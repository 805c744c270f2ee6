/** The smallest buffer handed out; larger ones are powers of two. */
const SMALLEST = 64 * 1024

/**
 * Buffers for fetched ranges, given back when their chunk is dropped and handed out again for a
 * range of the same size class (a power of two: the pieces of a read-ahead window and its odd
 * last piece share a few classes). A new Buffer per GET is external memory V8 reclaims only with
 * a full collection: reading 512 MiB in 8 MiB ranges through the store ran 24-27 mark-compacts
 * and twice the CPU of the same reads into reused buffers (1 mark-compact). At most
 * `maxIdleBytes` wait idle, the oldest going first.
 */
export class FetchBuffers {
  private readonly idle = new Map<number, Buffer[]>()
  /** Sizes in the order their buffers were given back, for dropping the oldest. */
  private readonly order: number[] = []
  private idleBytes = 0

  constructor(private readonly maxIdleBytes: number) {}

  /** A buffer of at least `size` bytes (its class). */
  take(size: number): Buffer {
    const capacity = Math.max(SMALLEST, 2 ** Math.ceil(Math.log2(size)))
    const list = this.idle.get(capacity)
    const buffer = list?.pop()
    if (buffer === undefined) return Buffer.allocUnsafeSlow(capacity)
    if (list!.length === 0) this.idle.delete(capacity)
    this.idleBytes -= capacity
    this.order.splice(this.order.lastIndexOf(capacity), 1)
    return buffer
  }

  /** Takes back a buffer from take() that nothing uses any more. */
  give(buffer: Buffer): void {
    const size = buffer.length
    let list = this.idle.get(size)
    if (list === undefined) this.idle.set(size, (list = []))
    list.push(buffer)
    this.order.push(size)
    this.idleBytes += size
    this.trim()
  }

  private trim(): void {
    while (this.idleBytes > this.maxIdleBytes) {
      const oldest = this.order.shift()!
      const list = this.idle.get(oldest)!
      list.shift()
      if (list.length === 0) this.idle.delete(oldest)
      this.idleBytes -= oldest
    }
  }

  /** Bytes held for reuse. */
  get held(): number {
    return this.idleBytes
  }
}
