const HELD = 1
const WRITTEN = 2

/**
 * Which fixed-size blocks of a staged file hold data on local disk (fetched from the object or
 * written) and which were written: one byte per block (a 1 GiB file in 256 KiB blocks: 4 KiB).
 */
export class BlockMap {
  private flags = new Uint8Array(64)
  /** Blocks holding local data. */
  heldBlocks = 0

  constructor(readonly blockSize: number) {}

  blockOf(offset: number): number {
    return Math.floor(offset / this.blockSize)
  }

  isHeld(block: number): boolean {
    return ((this.flags[block] ?? 0) & HELD) !== 0
  }

  /** Whether any block overlapping bytes [start, end) was written. */
  anyWritten(start: number, end: number): boolean {
    for (let b = this.blockOf(start), last = this.blockOf(end - 1); b <= last; b++) {
      if (((this.flags[b] ?? 0) & WRITTEN) !== 0) return true
    }
    return false
  }

  /** Marks the blocks overlapping [start, end) held (and written); returns how many were not held before. */
  mark(start: number, end: number, written: boolean): number {
    const last = this.blockOf(end - 1)
    this.grow(last + 1)
    let added = 0
    for (let b = this.blockOf(start); b <= last; b++) {
      if ((this.flags[b]! & HELD) === 0) added++
      this.flags[b] = this.flags[b]! | HELD | (written ? WRITTEN : 0)
    }
    this.heldBlocks += added
    return added
  }

  /** Forgets every block from `block` on (after a truncate); returns how many held blocks went. */
  dropFrom(block: number): number {
    let dropped = 0
    for (let b = block; b < this.flags.length; b++) {
      if ((this.flags[b]! & HELD) !== 0) dropped++
      this.flags[b] = 0
    }
    this.heldBlocks -= dropped
    return dropped
  }

  private grow(blocks: number): void {
    if (blocks <= this.flags.length) return
    const next = new Uint8Array(Math.max(blocks, this.flags.length * 2))
    next.set(this.flags)
    this.flags = next
  }
}
