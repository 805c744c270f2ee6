import { writeU64, writtenEntries, type InodeDirEntry, type ListingWriter } from '@fusekit/core'
import { DirectoryStream, RecordField, records } from './directory-stream.js'
import { NONE, type ListedEntries } from './listed-entries.js'
import type { SourceNode, SourceNodes } from './source-nodes.js'
import { statFields } from './stat.js'

export interface ListingSource {
  nodes: SourceNodes
  dir: SourceNode
  /** The number of entries already read. */
  offset: number
  /** Whether iterating gives each name its Entry (writing decides per write). */
  withStats: boolean
  listed: ListedEntries
  /** What every entry shares (native/directory-calls.c's settings). */
  settings: Float64Array
}

/**
 * A directory's listing from `offset`, written into the driver's replies by native code: names,
 * and for READDIRPLUS each name's stat, with no JavaScript per entry but the node table's (the
 * node of each inode, one lookup counted, its id written into the reply). A huge directory is
 * read once, however many replies it takes. A name gone since getdents listed it is written
 * without a node (its offset still counts).
 */
export class SourceListing implements ListingWriter {
  readonly writesPlus = true
  private readonly stream: DirectoryStream
  private readonly nodes: SourceNodes
  private readonly dir: SourceNode
  private readonly withStats: boolean
  private readonly listed: ListedEntries
  /** The inode numbers of names the kernel got from a listing moments ago: written without a stat. */
  private readonly known: Float64Array
  /** No reply written yet of a listing from the start. */
  private firstReply: boolean

  constructor({ nodes, dir, offset, withStats, listed, settings }: ListingSource) {
    this.stream = new DirectoryStream(nodes, dir, offset, settings).start()
    this.nodes = nodes
    this.dir = dir
    this.withStats = withStats
    this.listed = listed
    this.known = withStats ? listed.knownInodes(dir, performance.now()) : NONE
    this.firstReply = offset === 0
  }

  get offset(): number {
    return this.stream.offset
  }

  get atEnd(): boolean {
    return this.stream.atEnd
  }

  /**
   * A reply of the driver's. The first READDIRPLUS reply of a directory of more than one batch
   * (some 1,000 names) comes without stats: the kernel asks READDIRPLUS only for a large
   * directory's first buffer unless told otherwise, and its ~190 stats were as many disk reads for
   * `ls -f` of 100,000 names (inodes in hash order) while sparing `ls -l` under 0.2% of its
   * lookups. Later READDIRPLUS replies (`--readdirplus always`, or a directory the kernel saw
   * looked up) have their stats.
   */
  write(into: Buffer, start: number, room: number, plus: boolean, most = Infinity): number {
    const largeStats = !this.firstReply
    this.firstReply = false
    return this.written(into, start, room, plus, most, largeStats)
  }

  needsReadAhead(): boolean {
    return this.stream.needsReadAhead()
  }

  readAhead(): void {
    this.stream.readAhead()
  }

  /** Entries one by one (fuse-native, direct callers), each with its stat when `withStats`. */
  [Symbol.iterator](): Iterator<InodeDirEntry> {
    return writtenEntries({ write: (into, start, room, plus, most) => this.written(into, start, room, plus, most, true) }, this.withStats)
  }

  private written(into: Buffer, start: number, room: number, plus: boolean, most: number | undefined, largeStats: boolean): number {
    const used = this.stream.write(into, start, room, most ?? Infinity, plus, this.known, largeStats)
    if (plus) this.giveNodes(into, this.stream.recorded)
    return used
  }

  /**
   * Counts a lookup of each name written with a stat and writes its node id into its entry; a
   * name whose Entry the kernel got moments ago (ListedEntries) keeps node id 0: the kernel keeps
   * what it has.
   */
  private giveNodes(into: Buffer, count: number): void {
    const now = performance.now()
    for (let r = 0; r < count * RecordField.FIELDS; r += RecordField.FIELDS) {
      const nameAt = records[r + RecordField.NAME]!
      const name = into.toString('utf8', nameAt, nameAt + records[r + RecordField.NAME_LENGTH]!)
      const ino = records[r + RecordField.INO]!
      if (this.listed.known(this.dir, name, ino, now)) continue
      statFields[0] = ino
      statFields[1] = records[r + RecordField.MODE]!
      statFields[15] = records[r + RecordField.DEV]!
      statFields[16] = records[r + RecordField.INO_HIGH]!
      statFields[17] = records[r + RecordField.INO_LOW]!
      const node = this.nodes.adoptStat(statFields, this.dir, name)
      this.listed.listed(node, now)
      // fuse_entry_out's nodeid, which native code left 0.
      writeU64(into, records[r + RecordField.ENTRY]!, node.id)
    }
  }
}
