import { sessionAddon, type SessionAddon } from './lowlevel/session-addon.js'

/**
 * Memory a backend keeps for as long as the files it holds (a memory filesystem's contents).
 * V8 counts every ArrayBuffer as external memory and starts a full collection every few dozen
 * MiB it grows by, though none of these bytes can be collected while their files exist: a 512 MiB
 * write into a memory mount ran about 20 mark-compacts, a quarter of the mount's CPU.
 * `allocateRetained` returns a Buffer whose bytes V8 is told not to count; `releaseRetained`
 * counts them again just before the Buffer is let go (V8 subtracts them when it collects it).
 * Without the addon (it did not load) these are plain allocations.
 */
export function allocateRetained(size: number, { prefault = false }: RetainedOptions = {}): Buffer {
  const buffer = Buffer.allocUnsafeSlow(size)
  const addon = optionalAddon()
  addon?.adjustExternalMemory(-buffer.buffer.byteLength)
  // A failure (a kernel before 5.14) leaves the pages to be faulted in one by one, as without it.
  if (prefault) addon?.populate(buffer)
  return buffer
}

export interface RetainedOptions {
  /**
   * Memory about to be filled (a slab of file data): its pages are made present in one call
   * instead of one page fault per 4 KiB as they are first written, which made a memory mount's
   * 512 MiB write use 14% less CPU. They count in the process's RSS from then on.
   */
  prefault?: boolean
}

/** Call once for each Buffer from allocateRetained, when it is dropped. */
export function releaseRetained(buffer: Buffer): void {
  optionalAddon()?.adjustExternalMemory(buffer.buffer.byteLength)
}

let addon: SessionAddon | null | undefined

function optionalAddon(): SessionAddon | null {
  if (addon === undefined) {
    try {
      addon = sessionAddon()
    } catch {
      addon = null
    }
  }
  return addon
}

/**
 * Gives the memory of `buffer`'s whole pages back to the system (MADV_DONTNEED) while the Buffer
 * stays: for a pool's idle buffers, which would otherwise hold their RSS until reused. Their bytes
 * read as zeros afterwards; the pages come back as they are written. False when nothing was
 * dropped (no addon, or the kernel refused).
 */
export function dropPages(buffer: Buffer): boolean {
  return optionalAddon()?.dropPages(buffer) === 0
}
