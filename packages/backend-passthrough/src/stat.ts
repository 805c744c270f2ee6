import type { BigIntStats } from 'node:fs'
import type { Stat, Timespec } from '@fusekit/core'

/** How files are shown: optional forced owner and group, and permission bits masked off. */
export interface StatView {
  uid?: number
  gid?: number
  /** Permission bits (of 0o7777) cleared in every mode shown. */
  umask: number
}

const NS_PER_SEC = 1_000_000_000n

/** The Stat the mount shows for a source object's lstat/fstat. */
export function toStat(s: BigIntStats, view: StatView): Stat {
  return {
    ino: Number(s.ino),
    mode: Number(s.mode) & ~view.umask,
    nlink: Number(s.nlink),
    uid: view.uid ?? Number(s.uid),
    gid: view.gid ?? Number(s.gid),
    rdev: Number(s.rdev),
    size: Number(s.size),
    blksize: Number(s.blksize),
    blocks: Number(s.blocks),
    atime: timespecFromNs(s.atimeNs),
    mtime: timespecFromNs(s.mtimeNs),
    ctime: timespecFromNs(s.ctimeNs),
  }
}

export function timespecFromNs(ns: bigint): Timespec {
  let sec = ns / NS_PER_SEC
  let nsec = ns % NS_PER_SEC
  // Before 1970 the remainder is negative; a timespec's nanoseconds never are.
  if (nsec < 0n) {
    sec -= 1n
    nsec += NS_PER_SEC
  }
  return { sec: Number(sec), nsec: Number(nsec) }
}
