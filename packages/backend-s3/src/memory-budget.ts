/**
 * Bytes of memory that readers may hold, shared by every open handle of a mount. Prefetches
 * ask with tryAcquire and do without when it refuses; reads a caller waits for take what they
 * need with acquire even past the limit (they are bounded by the size of one read each).
 */
export class MemoryBudget {
  used = 0
  /** The most ever held at once (tests and the bench read it). */
  peak = 0

  constructor(readonly limit: number) {}

  get available(): number {
    return Math.max(0, this.limit - this.used)
  }

  tryAcquire(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false
    this.acquire(bytes)
    return true
  }

  acquire(bytes: number): void {
    this.used += bytes
    if (this.used > this.peak) this.peak = this.used
  }

  release(bytes: number): void {
    this.used -= bytes
  }
}
