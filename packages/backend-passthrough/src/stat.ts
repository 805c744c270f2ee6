import { Errno, type Stat } from '@fusekit/core'
import { calls, check } from './source-calls.js'

/** How files are shown: optional forced owner and group, and permission bits masked off. */
export interface StatView {
  uid?: number
  gid?: number
  /** Permission bits (of 0o7777) cleared in every mode shown. */
  umask: number
}

// One buffer for every stat: the calls are synchronous and their results copied out at once.
const fields = new Float64Array(15)

/**
 * The Stat the mount shows for `name` in the directory `dirFd` (the link itself for a symlink;
 * "" for dirFd's own object), or undefined when there is no such entry.
 */
export function statAt(dirFd: number, name: string, view: StatView): Stat | undefined {
  const result = calls.statAt(dirFd, name, fields)
  if (result === -Errno.ENOENT) return undefined
  check(result)
  const f = fields
  return {
    ino: f[0]!,
    mode: f[1]! & ~view.umask,
    nlink: f[2]!,
    uid: view.uid ?? f[3]!,
    gid: view.gid ?? f[4]!,
    rdev: f[5]!,
    size: f[6]!,
    blksize: f[7]!,
    blocks: f[8]!,
    atime: { sec: f[9]!, nsec: f[10]! },
    mtime: { sec: f[11]!, nsec: f[12]! },
    ctime: { sec: f[13]!, nsec: f[14]! },
  }
}
