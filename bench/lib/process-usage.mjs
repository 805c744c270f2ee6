// What a process (a mount, a workload) costs during a phase: CPU seconds from /proc/PID/stat
// (utime + stime, all its threads) and its resident memory from /proc/PID/status.
import { readFileSync, writeFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ on Linux
const SAMPLE_MS = 100
const SETTLE_STEP_MS = 100
const SETTLE_LIMIT_MS = 10_000

/** utime + stime of a process in seconds, or undefined when it is gone. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // Fields 14 and 15 of stat(5); the slice starts at field 3.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/** A memory line of /proc/PID/status (VmRSS, VmHWM) in MiB, or 0 when the process is gone. */
function statusMiB(pid, key) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`))
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

const rssMiB = (pid) => statusMiB(pid, 'VmRSS')

/** Sets VmHWM back to the current RSS (Linux 4.0+, needs the right to write clear_refs: root). */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/**
 * Starts watching `pid`; stop() returns the CPU seconds it used since (`cpu`), its peak RSS
 * (`rss`, MiB: VmHWM after resetting it here, or VmRSS sampled every 100 ms where that is not
 * allowed), and its RSS at start and stop (`rssStart`, `rssEnd`, MiB).
 */
export function watchProcess(pid) {
  const cpuBefore = cpuSeconds(pid) ?? 0
  const rssStart = rssMiB(pid)
  const exactPeak = resetPeak(pid)
  let sampledPeak = rssStart
  const timer = exactPeak ? undefined : setInterval(() => (sampledPeak = Math.max(sampledPeak, rssMiB(pid))), SAMPLE_MS)
  return {
    stop() {
      clearInterval(timer)
      const rssEnd = rssMiB(pid)
      const peak = exactPeak ? statusMiB(pid, 'VmHWM') : Math.max(sampledPeak, rssEnd)
      return { cpu: (cpuSeconds(pid) ?? cpuBefore) - cpuBefore, rss: peak, rssStart, rssEnd }
    },
  }
}

/**
 * Waits until `pid` has used no CPU for 100 ms (at most 10 s): dropping the caches makes the kernel
 * send a FUSE server its FORGETs after drop_caches returns, and that work belongs to no phase.
 */
export async function settle(pid) {
  let last = cpuSeconds(pid)
  for (let waited = 0; waited < SETTLE_LIMIT_MS; waited += SETTLE_STEP_MS) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_STEP_MS))
    const now = cpuSeconds(pid)
    if (now === last) return
    last = now
  }
}
