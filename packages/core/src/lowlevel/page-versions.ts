import type { Stat } from '../types.js'

/** More than this many nodes remembered: the oldest are dropped (see PageVersions). */
const CAPACITY = 65_536

/**
 * With autoCache: the size and mtime of each node at its last open, so that the next open keeps
 * the kernel's pages when they are unchanged (FOPEN_KEEP_CACHE) and drops them otherwise. The
 * session does not know when the kernel forgets a node, so the table is bounded instead: a
 * forgotten node's entry is harmless (the kernel has no pages of it to keep), and a dropped one
 * only costs a re-read.
 */
export class PageVersions {
  private readonly versions = new Map<number, string>()

  /** Records the version at this open; true when it is the one recorded at the last open. */
  unchangedSinceLastOpen(nodeid: number, stat: Stat): boolean {
    const current = versionOf(stat)
    const previous = this.versions.get(nodeid)
    this.record(nodeid, current)
    return previous === current
  }

  /** A node just created: its first open finds nothing cached. */
  created(nodeid: number, stat: Stat): void {
    this.record(nodeid, versionOf(stat))
  }

  private record(nodeid: number, version: string): void {
    this.versions.delete(nodeid) // re-inserted last: the map's order is the order of use
    this.versions.set(nodeid, version)
    if (this.versions.size > CAPACITY) this.versions.delete(this.versions.keys().next().value as number)
  }
}

function versionOf(stat: Stat): string {
  return `${stat.size}:${stat.mtime.sec}:${stat.mtime.nsec}`
}
