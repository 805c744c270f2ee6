import { FsError } from '@fusekit/core'
import { NONE } from './listed-entries.js'
import { calls, check } from './source-calls.js'
import type { SourceNode, SourceNodes } from './source-nodes.js'

/** A listing's state as native/directory-calls.c keeps it: six 32-bit fields, then getdents64's batch. */
const STATE_HEADER = 24
const BATCH_BYTES = 32768
const STATE_BYTES = STATE_HEADER + BATCH_BYTES
/**
 * The state of a listing read ahead: some two replies' worth of entries kept ready, and room to
 * read the next batch into while the caller takes in a reply.
 */
const READ_AHEAD_STATE_BYTES = STATE_HEADER + 3 * BATCH_BYTES
const AT = 0
const LENGTH = 4
const SKIP = 8
const ENDED = 12
const WRITTEN = 16
const RECORDED = 20

/**
 * States of listings that gave up their descriptor, for the next ones: most directories are
 * listed whole in one reply, and allocating 32 KiB per listing cost more than the listing.
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
 * descriptor. While it holds a descriptor it holds a 32 KiB batch too. A node keeps at most one
 * descriptor for listing (the one written from last), and the nodes keep few unfinished listings
 * open (SourceNodes.openListing): a listing the kernel stopped reading (`ls | head`, `find
 * -empty`) costs its descriptor and batch only until the node is listed again or forgotten, or
 * other listings take their place; one whose descriptor was taken reopens the directory and steps
 * over what it wrote.
 */
export class DirectoryStream {
  private fd: number | undefined
  /** getdents64's batch and where the listing stands in it, while the descriptor is held. */
  private state: Buffer | undefined
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
    const state = this.state!
    this.position += state.readUInt32LE(WRITTEN)
    this.recorded = state.readUInt32LE(RECORDED)
    if (state.readUInt32LE(ENDED) && state.readUInt32LE(AT) >= state.readUInt32LE(LENGTH)) this.end()
    return used
  }

  /** Whether readAhead would read: the listing goes on, and half a batch of its state is free or more. */
  needsReadAhead(): boolean {
    const state = this.state
    if (state === undefined || this.ended || this.node.gone || state.readUInt32LE(ENDED) || state.readUInt32LE(SKIP)) return false
    return READ_AHEAD_STATE_BYTES - STATE_HEADER - (state.readUInt32LE(LENGTH) - state.readUInt32LE(AT)) >= BATCH_BYTES / 2
  }

  /**
   * Reads the next entries while the caller takes in the reply just sent: a large directory's
   * getdents64 batches, read from disk when cold, cost the server more than the caller's own work
   * on them, so with a batch read after every reply neither side waits for the other. A failure
   * is the next write's.
   */
  readAhead(): void {
    if (!this.needsReadAhead()) return
    if (this.state!.length < READ_AHEAD_STATE_BYTES) this.state = this.grown(this.state!)
    calls.readAhead(this.fd!, this.state!)
  }

  /** Gives up the descriptor and the batch, keeping the position. */
  release(): void {
    if (this.fd === undefined) return
    this.nodes.closeListing(this, this.fd)
    this.fd = undefined
    if (this.node.listing === this) this.node.listing = undefined
    this.spare(this.state!)
    this.state = undefined
  }

  private spare(state: Buffer): void {
    if (spareStates.length < MOST_SPARE && state.length === STATE_BYTES) spareStates.push(state)
  }

  /** A state with room to read ahead into, holding what `state` holds. */
  private grown(state: Buffer): Buffer {
    const large = Buffer.allocUnsafeSlow(READ_AHEAD_STATE_BYTES)
    state.copy(large, 0, 0, STATE_HEADER + state.readUInt32LE(LENGTH))
    this.spare(state)
    return large
  }

  /** Every entry was written: the descriptor and the batch go. */
  private end(): void {
    this.ended = true
    this.release()
  }

  /** Opens the directory, taking the node's listing descriptor, to read on from `position`. */
  private resume(): void {
    this.node.listing?.release()
    this.fd = this.nodes.openListing(this.node, this)
    this.node.listing = this
    // A new descriptor reads from the start: what was written is stepped over again.
    const state = (this.state = spareStates.pop() ?? Buffer.allocUnsafeSlow(STATE_BYTES))
    state.fill(0, 0, STATE_HEADER)
    state.writeUInt32LE(this.position, SKIP)
    this.written(state, 0, 0, 0, false, NONE, true)
  }

  private written(into: Buffer, start: number, room: number, most: number, plus: boolean, known: Float64Array, largeStats: boolean): number {
    const most32 = Math.min(most, 0xffff_ffff)
    return check(calls.writeEntries(this.fd!, this.state!, into, start, room, most32, plus, this.settings, records, this.position, known, largeStats))
  }
}
