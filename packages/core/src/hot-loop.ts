import { openCpuLatency, type CpuLatency } from './cpu-latency.js'
import type { MountOptions } from './mount-options.js'

/** How request wake-ups are kept cheap: see HotLoop. */
export type HotLoopMode = 'cpu-latency' | 'event-loop' | 'off'

/**
 * Keeps request wake-ups cheap for `windowMs` after each request, and costs nothing once the
 * mount is idle. Off unless asked for: a filesystem daemon does not change the machine's power
 * policy by itself.
 *
 * Every request wakes two threads: ours, to serve it, and the caller's, to take the reply. Waking
 * a CPU that went to sleep costs more than the request itself (tens of µs on a VM whose idle
 * vCPUs halt). While requests keep coming:
 * - 'cpu-latency' (root): a CPU latency request (see openCpuLatency) makes idle CPUs poll
 *   instead of sleeping: both wake-ups get cheap, and the kernel stays free to run us on the
 *   caller's CPU. Every idle CPU of the machine polls while requests flow.
 * - 'event-loop': a setImmediate chain makes libuv poll with a zero timeout. That spares our
 *   wake-up only, and keeps one CPU busy.
 */
export class HotLoop {
  private lastRequest = 0
  private active = false
  private cpuLatency: CpuLatency | undefined
  private readonly windowMs: number

  constructor(
    windowMs: number,
    way: MountOptions['hotLoop'] = 'off',
    openLatency: () => CpuLatency = openCpuLatency,
  ) {
    this.windowMs = way === 'off' ? 0 : windowMs
    if (this.windowMs > 0 && way === 'cpu-latency') this.cpuLatency = openLatency() // asked for by name: a refusal says why
  }

  get mode(): HotLoopMode {
    return this.windowMs <= 0 ? 'off' : this.cpuLatency ? 'cpu-latency' : 'event-loop'
  }

  touch(): void {
    if (this.windowMs <= 0) return
    this.lastRequest = performance.now()
    if (this.active) return
    this.active = true
    if (this.cpuLatency && this.switchLatency('hold')) setTimeout(this.cool, this.windowMs).unref()
    else setImmediate(this.spin)
  }

  close(): void {
    this.cpuLatency?.close()
  }

  private idleFor(): number {
    return performance.now() - this.lastRequest
  }

  private readonly spin = () => {
    if (this.idleFor() < this.windowMs) setImmediate(this.spin)
    else this.active = false
  }

  private readonly cool = () => {
    const idle = this.idleFor()
    if (idle < this.windowMs) {
      setTimeout(this.cool, this.windowMs - idle).unref()
      return
    }
    this.active = false
    this.switchLatency('release')
  }

  /** False if the device refused (it never should): the event loop polls from then on. */
  private switchLatency(to: 'hold' | 'release'): boolean {
    try {
      this.cpuLatency?.[to]()
      return true
    } catch {
      this.cpuLatency?.close()
      this.cpuLatency = undefined
      return false
    }
  }
}

/** The way a mount with these options keeps wake-ups fast ('off' unless one is chosen). */
export function hotLoopMode(options: Pick<MountOptions, 'hotLoopMs' | 'hotLoop'>): HotLoopMode {
  return options.hotLoop === 'off' || options.hotLoopMs <= 0 ? 'off' : options.hotLoop
}
