// The machine-wide policy a run measures under, the same for every target: either the system's
// own idle policy, or a 0 µs CPU latency request held by the bench itself for the whole run (idle
// CPUs poll instead of halting, so a woken thread runs at once, whichever side it belongs to).
import { closeSync, openSync, writeSync } from 'node:fs'
import { onCleanup } from './cleanup.mjs'

const DEVICE = '/dev/cpu_dma_latency'

export const LATENCY_MODES = {
  off: 'no CPU latency request for either side (the system idle policy)',
  both: `a 0 µs request on ${DEVICE}, held by the bench for the whole run: the same for every target`,
}

/**
 * Applies `mode` until the returned function is called (or the bench exits): for 'both', holds
 * a 0 µs request, which lasts as long as the descriptor stays open.
 */
export function applyLatencyMode(mode) {
  if (mode === 'off') return () => {}
  const fd = openSync(DEVICE, 'w')
  const value = Buffer.alloc(4)
  value.writeInt32LE(0)
  writeSync(fd, value)
  return onCleanup(`the CPU latency request on ${DEVICE}`, () => closeSync(fd))
}
