import { readFileSync, writeFileSync } from 'node:fs'
import type { Logger } from '../logger.js'

/**
 * Raises the readahead window of this mount's own backing device (`/sys/class/bdi/<dev>`) to
 * `kib`. The kernel starts a FUSE mount at 128 KiB and INIT can only lower it, so sequential
 * reads would come as 128 KiB requests however large max_pages is; with the window at max_write
 * they come as 1 MiB requests: an eighth of the requests per MiB. Only this mount's device
 * changes, nothing machine-wide. sysfs is root's: for other users this is a no-op (logged at
 * debug level), as is a window already as large.
 */
export function raiseReadahead(mountpoint: string, kib: number, logger: Logger): void {
  try {
    const device = mountDevice(readFileSync('/proc/self/mountinfo', 'utf8'), mountpoint)
    if (device === undefined) return logger.debug(`readahead: ${mountpoint} is not in /proc/self/mountinfo`)
    const file = `/sys/class/bdi/${device}/read_ahead_kb`
    if (Number(readFileSync(file, 'utf8')) >= kib) return
    writeFileSync(file, String(kib))
  } catch (error) {
    logger.debug(`readahead left as the kernel set it: ${(error as Error).message}`)
  }
}

/**
 * The `major:minor` of the last mount on `mountpoint` in a mountinfo text. Read there rather than
 * with stat(2), which would send a GETATTR to the server that is calling this.
 */
export function mountDevice(mountinfo: string, mountpoint: string): string | undefined {
  let device: string | undefined
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ')
    if (fields.length > 4 && unescapeMountPath(fields[4]!) === mountpoint) device = fields[2]
  }
  return device
}

/** mountinfo writes space, tab, newline and backslash in paths as \ooo octal escapes. */
function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}
