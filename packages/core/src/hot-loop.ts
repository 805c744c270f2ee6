/**
 * Keeps the event loop polling for a short while after each request.
 *
 * Each FUSE request wakes the JS thread through a uv_async handle; waking a sleeping loop costs
 * more than the request itself. While requests keep coming, a setImmediate chain makes libuv
 * poll with a zero timeout, so the next request is picked up at once. After `windowMs` without
 * a request the chain stops and the loop sleeps again: no CPU is spent while the mount is idle.
 */
export class HotLoop {
  private lastRequest = 0
  private spinning = false
  private readonly spin = () => {
    if (performance.now() - this.lastRequest < this.windowMs) setImmediate(this.spin)
    else this.spinning = false
  }

  constructor(private readonly windowMs: number) {}

  touch(): void {
    if (this.windowMs <= 0) return
    this.lastRequest = performance.now()
    if (this.spinning) return
    this.spinning = true
    setImmediate(this.spin)
  }
}
