import type { Stat } from '@fusekit/core'

/** How files are shown: optional forced owner and group, and permission bits masked off. */
export interface StatView {
  uid?: number
  gid?: number
  /** Permission bits (of 0o7777) cleared in every mode shown. */
  umask: number
}

/**
 * Where the native calls write a stat (native/napi-args.h): st_ino, st_mode, st_nlink, st_uid,
 * st_gid, st_rdev, st_size, st_blksize, st_blocks, the three times as (sec, nsec), then st_dev
 * and st_ino's high and low 32 bits. One array for every call: the calls are synchronous and
 * their results read at once.
 */
export const statFields = new Float64Array(18)

const MODE = 1
const DEV = 15

/** The S_IFMT bits of the stat in `fields`. */
export function fileType(fields: Float64Array): number {
  return fields[MODE]! & 0o170000
}

/** The st_dev of the stat in `fields`. */
export function deviceOf(fields: Float64Array): number {
  return fields[DEV]!
}

/**
 * The source inode the stat in `fields` is of, exactly, as a Map key. On the device `home` (the
 * source root's) it is st_ino itself, a number: no string is built and hashed per entry listed or
 * looked up. Elsewhere (a mount inside the source), or past 2^53, "st_dev:high:low" (a double
 * would round st_ino). A number and a string are never the same key.
 */
export function inodeKey(fields: Float64Array, home: number): number | string {
  const high = fields[DEV + 1]!
  const low = fields[DEV + 2]!
  if (fields[DEV] === home && high < 0x20_0000) return unboxed(high * 0x1_0000_0000 + low)
  return `${fields[DEV]}:${high}:${low}`
}

/** The st_ino of the stat in `fields`. */
export function inodeNumber(fields: Float64Array): number {
  return unboxed(fields[0]!)
}

/**
 * A non-negative integer as V8 keeps a small integer when it fits one (a Smi): read from a
 * Float64Array it is a double, and a double stored first in a field makes V8 box that field in
 * every node (a heap object per node and per field to mark), as it boxes a Map key.
 */
function unboxed(value: number): number {
  return value < 0x8000_0000 ? value | 0 : value
}

/** The Stat the mount shows for the stat in `fields`. */
export function shownStat(fields: Float64Array, view: StatView): Stat {
  const f = fields
  return {
    ino: f[0]!,
    mode: f[MODE]! & ~view.umask,
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
