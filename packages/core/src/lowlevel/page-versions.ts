import type { Stat } from '../types.js'

/** More than this many nodes remembered: the least recently opened are dropped (see PageVersions). */
const CAPACITY = 65_536
/** Slots first made room for; doubled as needed up to the capacity. */
const FIRST_SLOTS = 1024
/** Numbers per slot: size, mtime seconds, mtime nanoseconds. */
const FIELDS = 3

/**
 * With autoCache: the size and mtime of each node at its last open, so that the next open keeps
 * the kernel's pages when they are unchanged (FOPEN_KEEP_CACHE) and drops them otherwise. The
 * session does not know when the kernel forgets a node, so the table is bounded instead: a
 * forgotten node's entry is harmless (the kernel has no pages of it to keep), and a dropped one
 * only costs a re-read.
 *
 * Versions are numbers in one typed array, not an object or string per node: the table lives as
 * long as the mount and fills to its capacity, and that many heap objects were most of what V8's
 * major GC had to mark (a `cp -a` of 10,000 files left ~1.5 MB of version strings).
 */
export class PageVersions {
  /** Node id → its slot in `recorded`, least recently opened first (the Map's order). */
  private readonly slots = new Map<number, number>()
  private recorded = new Float64Array(FIRST_SLOTS * FIELDS)

  constructor(private readonly capacity = CAPACITY) {}

  /** Records the version at this open; true when it is the one recorded at the last open. */
  unchangedSinceLastOpen(nodeid: number, stat: Stat): boolean {
    const slot = this.slots.get(nodeid)
    const at = slot === undefined ? -1 : slot * FIELDS
    const unchanged =
      at >= 0 && this.recorded[at] === stat.size && this.recorded[at + 1] === stat.mtime.sec && this.recorded[at + 2] === stat.mtime.nsec
    this.record(nodeid, stat, slot)
    return unchanged
  }

  /** A node just created: its first open finds nothing cached. */
  created(nodeid: number, stat: Stat): void {
    this.record(nodeid, stat, this.slots.get(nodeid))
  }

  private record(nodeid: number, stat: Stat, slot: number | undefined): void {
    // Re-inserted last: the Map's order is the order of use.
    if (slot !== undefined) this.slots.delete(nodeid)
    else slot = this.freeSlot()
    this.slots.set(nodeid, slot)
    const at = slot * FIELDS
    this.recorded[at] = stat.size
    this.recorded[at + 1] = stat.mtime.sec
    this.recorded[at + 2] = stat.mtime.nsec
  }

  /** A slot for a node not in the table: the next unused one, or the least recently opened node's. */
  private freeSlot(): number {
    // Below the capacity no entry is ever dropped, so slots 0 to size - 1 are the ones in use.
    const used = this.slots.size
    if (used < this.capacity) {
      if (used * FIELDS === this.recorded.length) this.grow()
      return used
    }
    const oldest = this.slots.keys().next().value as number
    const slot = this.slots.get(oldest)!
    this.slots.delete(oldest)
    return slot
  }

  private grow(): void {
    const larger = new Float64Array(Math.min(this.recorded.length * 2, this.capacity * FIELDS))
    larger.set(this.recorded)
    this.recorded = larger
  }
}
