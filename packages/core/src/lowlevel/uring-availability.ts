import { readFileSync } from 'node:fs'

/** The machine-wide switch of FUSE over io_uring (fuse.ko's enable_uring, N by default). */
export const URING_SWITCH = '/sys/module/fuse/parameters/enable_uring'
const POSSIBLE_CPUS = '/sys/devices/system/cpu/possible'

/** 'Y' or 'N'; undefined when the kernel has no FUSE over io_uring (before 6.14, or built without CONFIG_FUSE_IO_URING). */
export function uringSwitch(path = URING_SWITCH): 'Y' | 'N' | undefined {
  try {
    return readFileSync(path, 'utf8').trim() === 'Y' ? 'Y' : 'N'
  } catch {
    return undefined
  }
}

/** Why the kernel did not offer FUSE over io_uring at INIT, from the switch's state. */
export function uringRefusal(switchState: 'Y' | 'N' | undefined): string {
  if (switchState === undefined) return 'this kernel has no FUSE over io_uring (Linux 6.14+ built with CONFIG_FUSE_IO_URING)'
  if (switchState === 'N') return `FUSE over io_uring is switched off on this machine (${URING_SWITCH} is N; to switch it on, as root: echo Y > ${URING_SWITCH})`
  return 'the kernel did not offer FUSE over io_uring at INIT, though its switch is on'
}

/** How many queues the kernel makes: one per possible CPU ("0-3,8-11" in sysfs). */
export function possibleCpuCount(list = readFileSync(POSSIBLE_CPUS, 'utf8')): number {
  let count = 0
  for (const range of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(range)
    if (!match) throw new Error(`${POSSIBLE_CPUS}: "${list.trim()}" is not a CPU list`)
    count += Number(match[2] ?? match[1]) - Number(match[1]) + 1
  }
  return count
}

/**
 * The payload buffer each ring entry needs: the kernel refuses entries smaller than the largest
 * request it may send, max(8 KiB, max_write, max_pages pages), max_pages being 32 unless raised at INIT.
 */
export function ringPayloadSize(maxWrite: number, maxPages: number): number {
  return Math.max(8192, maxWrite, Math.max(32, maxPages) * 4096)
}
