import { sessionAddon } from './lowlevel/session-addon.js'

/**
 * Memory a backend keeps for as long as the files it holds (a memory filesystem's contents).
 * V8 counts every ArrayBuffer as external memory and starts a full collection every few dozen
 * MiB it grows by, though none of these bytes can be collected while their files exist: a 512 MiB
 * write into a memory mount ran about 20 mark-compacts, a quarter of the mount's CPU.
 * `allocateRetained` returns a Buffer whose bytes V8 is told not to count; `releaseRetained`
 * counts them again just before the Buffer is let go (V8 subtracts them when it collects it).
 * Without the addon (it did not load) these are plain allocations.
 */
export function allocateRetained(size: number): Buffer {
  const buffer = Buffer.allocUnsafeSlow(size)
  adjuster()?.(-buffer.buffer.byteLength)
  return buffer
}

/** Call once for each Buffer from allocateRetained, when it is dropped. */
export function releaseRetained(buffer: Buffer): void {
  adjuster()?.(buffer.buffer.byteLength)
}

let adjust: ((delta: number) => number) | null | undefined

function adjuster(): ((delta: number) => number) | null {
  if (adjust === undefined) {
    try {
      const addon = sessionAddon()
      adjust = (delta) => addon.adjustExternalMemory(delta)
    } catch {
      adjust = null
    }
  }
  return adjust
}
