import { closeSync, openSync, writeSync } from 'node:fs'
import { FsError, mapErrno } from './errno.js'

/** The kernel's PM QoS interface: while a descriptor holds a value, idle CPUs wake within it. */
const DEVICE = '/dev/cpu_dma_latency'
/** PM_QOS_CPU_LATENCY_DEFAULT_VALUE (2000 s): no constraint. */
const NO_CONSTRAINT = 2_000_000_000

function value(micros: number): Buffer {
  const bytes = Buffer.alloc(4)
  bytes.writeInt32LE(micros)
  return bytes
}

const POLL = value(0)
const RELAX = value(NO_CONSTRAINT)

/** A switch between "idle CPUs poll" and the system's own idle policy. */
export interface CpuLatency {
  hold(): void
  release(): void
  close(): void
}

/**
 * A CPU latency request of 0 µs through /dev/cpu_dma_latency: while held, idle CPUs poll
 * instead of halting, so waking the thread that serves a request (or the one waiting for its
 * reply) costs a reschedule rather than a CPU's wake-up from sleep. The request belongs to the
 * descriptor: it ends when the descriptor is closed, also when the process dies.
 * Throws an FsError when the device cannot be opened (it needs root).
 */
export function openCpuLatency(): CpuLatency {
  let fd: number
  try {
    fd = openSync(DEVICE, 'w')
  } catch (error) {
    const errno = mapErrno(error)?.errno ?? 'EIO'
    throw new FsError(errno, `cannot open ${DEVICE} for writing (a CPU latency request needs root): ${(error as Error).message}`, { cause: error })
  }
  // Once closed, the number may name another file: nothing is written to it any more.
  let open = true
  return {
    hold: () => void (open && writeSync(fd, POLL)),
    release: () => void (open && writeSync(fd, RELAX)),
    close: () => {
      if (open) closeSync(fd)
      open = false
    },
  }
}
