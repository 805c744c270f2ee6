// What a process (a mount, a workload) costs during a phase: CPU seconds of all its threads
// (schedstat's nanoseconds, or /proc/PID/stat's utime + stime in ticks) and its resident memory
// from /proc/PID/status.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'

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

/** CPU nanoseconds of each live thread of `pid` (the first field of its schedstat), by thread id; undefined when unreadable. */
function threadNanos(pid) {
  let tids
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return undefined
  }
  const nanos = new Map()
  for (const tid of tids) {
    try {
      nanos.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]))
    } catch {
      // The thread ended meanwhile: cpuBetween sees it missing.
    }
  }
  return nanos
}

/** What cpuBetween compares: the process's ticks and its threads' nanoseconds, read now. */
function cpuReading(pid) {
  return { ticks: cpuSeconds(pid), threads: threadNanos(pid) }
}

/**
 * CPU seconds used between two readings: to the nanosecond from the threads' schedstat when
 * every thread of the first reading is still there (a thread started since counts whole), else
 * from the ticks of /proc/PID/stat, which keep what ended threads used (10 ms steps: a phase of
 * 0.1 s read so was off by up to 10%). Ticks more than 20 ms above the threads' sum mean a
 * thread started and ended in between: the ticks then.
 */
function cpuBetween(before, after) {
  const ticks = (after.ticks ?? before.ticks ?? 0) - (before.ticks ?? 0)
  if (before.threads === undefined || after.threads === undefined) return ticks
  let nanos = 0
  for (const [tid, start] of before.threads) {
    const end = after.threads.get(tid)
    if (end === undefined) return ticks
    nanos += end - start
  }
  for (const [tid, end] of after.threads) if (!before.threads.has(tid)) nanos += end
  return ticks > nanos / 1e9 + 0.02 ? ticks : nanos / 1e9
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
  const cpuBefore = cpuReading(pid)
  const rssStart = rssMiB(pid)
  const exactPeak = resetPeak(pid)
  let sampledPeak = rssStart
  const timer = exactPeak ? undefined : setInterval(() => (sampledPeak = Math.max(sampledPeak, rssMiB(pid))), SAMPLE_MS)
  return {
    stop() {
      clearInterval(timer)
      const rssEnd = rssMiB(pid)
      const peak = exactPeak ? statusMiB(pid, 'VmHWM') : Math.max(sampledPeak, rssEnd)
      return { cpu: cpuBetween(cpuBefore, cpuReading(pid)), rss: peak, rssStart, rssEnd }
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
