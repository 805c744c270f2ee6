// What a process (a mount, a workload) costs during a phase: CPU seconds from /proc/PID/stat
// (utime + stime) and the peak of its resident memory (VmRSS, sampled).
import { readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ on Linux
const SAMPLE_MS = 100

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

/** VmRSS of a process in MiB, or 0 when it is gone. */
export function rssMiB(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
    return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024
  } catch {
    return 0
  }
}

/** Starts watching `pid`; stop() returns the CPU seconds it used since, and its peak RSS in MiB. */
export function watchProcess(pid) {
  const cpuBefore = cpuSeconds(pid) ?? 0
  let peak = rssMiB(pid)
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), SAMPLE_MS)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, rssMiB(pid))
      return { cpu: (cpuSeconds(pid) ?? cpuBefore) - cpuBefore, rss: peak }
    },
  }
}
