import type { SourceNode } from './source-nodes.js'

/** No inode numbers. */
export const NONE = new Float64Array(0)

/** The kernel's caching of an Entry: seconds, as the mount options give them. */
export interface EntryTimeouts {
  entryTimeout: number
  attrTimeout: number
}

/**
 * The READDIRPLUS entries the kernel has already. GNU `rm -rf` opens every directory twice: the
 * first pass reads one getdents and stops before the end, so the kernel's readdir cache never
 * completes and the second pass asks READDIRPLUS from offset 0 again: each entry was stat-ed and
 * counted twice. The low-level driver answers that second listing itself when the first was
 * whole in one reply (core's native/listing-replays.h); what reaches the backend again (a larger
 * directory, one changed through the mount meanwhile, `--debug`, io_uring) is listed here. A name whose Entry a listing gave less than half the kernel's timeouts ago, still
 * leading to that node (getdents' inode number says so), is listed again without one: node id 0
 * tells the kernel to keep the dentry and attributes it has, valid for the other half at least, so
 * a stat right after still finds them cached. A name the kernel no longer has costs a LOOKUP, as
 * after a plain READDIR.
 */
export class ListedEntries {
  /** How long after its listing an Entry is not given again, in performance.now() milliseconds. */
  private readonly freshFor: number

  constructor({ entryTimeout, attrTimeout }: EntryTimeouts) {
    this.freshFor = (Math.min(entryTimeout, attrTimeout) * 1000) / 2
  }

  /** Whether `name` in `dir`, of inode number `ino`, leads to a node the kernel got from a listing moments before `now`. */
  known(dir: SourceNode, name: string, ino: number, now: number): boolean {
    const node = dir.entries?.get(name)
    return node !== undefined && node.lookups > 0 && node.ino === ino && now - node.listedAt < this.freshFor
  }

  /**
   * The inode numbers of the names in `dir` that lead to nodes the kernel got from a listing
   * moments before `now`, sorted: native code writes them with no stat (an inode number alone may
   * leave out a name the kernel lacks, which then costs a LOOKUP, never a wrong entry).
   */
  knownInodes(dir: SourceNode, now: number): Float64Array {
    if (!dir.entries?.size) return NONE
    const inos = new Float64Array(dir.entries.size)
    let count = 0
    for (const node of dir.entries.values()) if (node.lookups > 0 && now - node.listedAt < this.freshFor) inos[count++] = node.ino
    return count === 0 ? NONE : inos.subarray(0, count).sort()
  }

  /**
   * `node`'s Entry goes to the kernel in a listing at `now` (performance.now()), kept in whole
   * milliseconds: a small integer lives in the node, a fraction would be an object of its own.
   */
  listed(node: SourceNode, now: number): void {
    node.listedAt = Math.floor(now)
  }
}
