import { FsError } from '@fusekit/core'
import { NONE } from './listed-entries.js'
import { calls, check } from './source-calls.js'
import type { SourceNode, SourceNodes } from './source-nodes.js'

/** A listing's state as native/directory-calls.c keeps it: six 32-bit fields, then getdents64's batch. */
const STATE_HEADER = 24
const STATE_BYTES = STATE_HEADER + 32768
const AT = 0
const LENGTH = 4
const SKIP = 8
const ENDED = 12
const WRITTEN = 16
const RECORDED = 20

/**
 * States of ended listings, for the next ones: most directories are listed whole in one reply,
 * and allocating 32 KiB per listing cost more than the listing.
 */
const spareStates: Buffer[] = []
const MOST_SPARE = 16

/** What writeEntries says of each entry it gave a stat (native/directory-calls.c). */
export const RecordField = { ENTRY: 0, NAME: 1, NAME_LENGTH: 2, DEV: 3, INO_HIGH: 4, INO_LOW: 5, INO: 6, MODE: 7, FIELDS: 8 } as const
/** The records of the last write: writes are synchronous and their records read at once. */
export const records = new Float64Array(RecordField.FIELDS * 4096)

/**
 * The entries of a directory node in getdents64's order ("." and ".." included), read in
 * batches and written into replies by native code, from a position that survives losing the
 * descriptor. A node keeps at most one descriptor for listing (the one written from last): a
 * listing the kernel stopped reading costs that descriptor only until the node is listed again
 * or forgotten, and a listing whose descriptor was taken by another one (or closed with its
 * node's for the descriptor budget) reopens the directory and steps over what it wrote.
 */
export class DirectoryStream {
  private fd: number | undefined
  private readonly state = spareStates.pop() ?? Buffer.allocUnsafeSlow(STATE_BYTES)
  private ended = false
  /** How many entries of the last write have records (a stat). */
  recorded = 0

  /** `position`: the entries already written, the listing offset of the next one. */
  constructor(
    private readonly nodes: SourceNodes,
    private readonly node: SourceNode,
    private position: number,
    /** What every entry shares (native/directory-calls.c's settings). */
    private readonly settings: Float64Array,
  ) {}

  /** Opens the directory and reads its first batch now, so that failing to (ENOTDIR, EACCES) is the caller's error. */
  start(): this {
    this.resume()
    return this
  }

  /** The number of entries written (and stepped over): the offset of the next one. */
  get offset(): number {
    return this.position
  }

  get atEnd(): boolean {
    return this.ended
  }

  /**
   * Writes the next entries that fit (writeEntries), with stats when `plus` but for the inode
   * numbers `known`, and for a directory of more than one batch only with `largeStats`; the bytes
   * written.
   */
  write(into: Buffer, start: number, room: number, most: number, plus: boolean, known: Float64Array, largeStats: boolean): number {
    // A listing read on after its node is gone would use a descriptor number reused since.
    if (this.node.gone) throw new FsError('ESTALE', 'the directory node is gone')
    if (this.ended) return 0
    if (this.fd === undefined) this.resume()
    const used = this.written(into, start, room, most, plus, known, largeStats)
    this.position += this.state.readUInt32LE(WRITTEN)
    this.recorded = this.state.readUInt32LE(RECORDED)
    if (this.state.readUInt32LE(ENDED) && this.state.readUInt32LE(AT) >= this.state.readUInt32LE(LENGTH)) this.end()
    return used
  }

  /** Gives up the descriptor, keeping the position. */
  release(): void {
    if (this.fd === undefined) return
    this.nodes.closeListing(this.fd)
    this.fd = undefined
    if (this.node.listing === this) this.node.listing = undefined
  }

  /** Every entry was written: the descriptor goes, and the state to the next listing. */
  private end(): void {
    this.ended = true
    this.release()
    if (spareStates.length < MOST_SPARE) spareStates.push(this.state)
  }

  /** Opens the directory, taking the node's listing descriptor, to read on from `position`. */
  private resume(): void {
    this.node.listing?.release()
    this.fd = this.nodes.openListing(this.node)
    this.node.listing = this
    // A new descriptor reads from the start: what was written is stepped over again.
    this.state.fill(0, 0, STATE_HEADER)
    this.state.writeUInt32LE(this.position, SKIP)
    this.written(this.state, 0, 0, 0, false, NONE, true)
  }

  private written(into: Buffer, start: number, room: number, most: number, plus: boolean, known: Float64Array, largeStats: boolean): number {
    const most32 = Math.min(most, 0xffff_ffff)
    return check(calls.writeEntries(this.fd!, this.state, into, start, room, most32, plus, this.settings, records, this.position, known, largeStats))
  }
}
