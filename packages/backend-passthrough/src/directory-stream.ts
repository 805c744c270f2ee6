import { FsError } from '@fusekit/core'
import { calls, check } from './source-calls.js'
import type { SourceNode, SourceNodes } from './source-nodes.js'

/** An entry as getdents64 gives it: d_ino and the DT_* type. */
export interface RawEntry {
  name: string
  ino: number
  dtype: number
}

/**
 * The entries of a directory node in getdents64's order ("." and ".." included), read in
 * batches, from a position that survives losing the descriptor. A node keeps at most one
 * descriptor for listing (the one read last): a listing the kernel stopped reading costs that
 * descriptor only until the node is listed again or forgotten, and a listing whose descriptor
 * was taken by another one (or closed with its node's for the descriptor budget) reopens the
 * directory and skips to where it was when read again.
 */
export class DirectoryStream {
  private fd: number | undefined
  private names: readonly string[] = []
  private inos: Float64Array = new Float64Array(0)
  private dtypes: Uint8Array = new Uint8Array(0)
  private index = 0
  private ended = false

  /** `position`: the entries already handed out, the listing offset of the next one. */
  constructor(
    private readonly nodes: SourceNodes,
    private readonly node: SourceNode,
    private position: number,
  ) {}

  /** Opens the directory now, so that failing to (ENOTDIR, EACCES) is the caller's error. */
  start(): this {
    this.resume()
    return this
  }

  next(): RawEntry | undefined {
    // A listing read on after its node is gone would use a descriptor number reused since.
    if (this.node.gone) throw new FsError('ESTALE', 'the directory node is gone')
    if (this.index >= this.names.length && !this.fill()) return undefined
    const i = this.index++
    this.position++
    return { name: this.names[i]!, ino: this.inos[i]!, dtype: this.dtypes[i]! }
  }

  /** Gives up the descriptor, keeping the position. */
  release(): void {
    if (this.fd === undefined) return
    this.nodes.closeListing(this.fd)
    this.fd = undefined
    if (this.node.listing === this) this.node.listing = undefined
  }

  private fill(): boolean {
    if (this.ended) return false
    return this.fd === undefined ? this.resume() : this.readBatch()
  }

  /** Opens the directory, taking the node's listing descriptor, and skips what was handed out. */
  private resume(): boolean {
    this.node.listing?.release()
    this.fd = this.nodes.openListing(this.node)
    this.node.listing = this
    let skip = this.position
    while (this.readBatch()) {
      this.index = Math.min(skip, this.names.length)
      skip -= this.index
      if (this.index < this.names.length) return true
    }
    return false
  }

  private readBatch(): boolean {
    const batch = calls.readEntries(this.fd!)
    if (typeof batch === 'number') {
      check(batch)
      this.ended = true
      this.release()
      return false
    }
    ;[this.names, this.inos, this.dtypes] = batch
    this.index = 0
    return true
  }
}
