import type { InodeDirEntry } from '../src/inode-operations.js'
import { writtenEntries, type ListingWriter } from '../src/listing-writer.js'
import { ENTRY_OUT_SIZE, direntPlusSize, direntSize, encodeDirent, encodeEntry } from '../src/lowlevel/protocol.js'

/** A writer of fixed entries that counts what it writes, as a backend counts lookups. */
export class FixedWriter implements ListingWriter {
  readonly writesPlus = true
  offset = 0
  writes = 0
  constructor(private readonly entries: InodeDirEntry[]) {}

  get atEnd(): boolean {
    return this.offset === this.entries.length
  }

  write(into: Buffer, start: number, room: number, plus: boolean, most = Infinity): number {
    this.writes++
    let used = 0
    for (let taken = 0; taken < most && !this.atEnd; taken++) {
      const { name, ino, type, entry } = this.entries[this.offset]!
      const nameBytes = Buffer.byteLength(name)
      const size = plus ? direntPlusSize(nameBytes) : direntSize(nameBytes)
      if (used + size > room) break
      if (plus) encodeEntry(into, start + used, entry?.ino ?? 0, entry?.attr, 1, 1, entry?.generation)
      used += (plus ? ENTRY_OUT_SIZE : 0) + encodeDirent(into, start + used + (plus ? ENTRY_OUT_SIZE : 0), ino, ++this.offset, type >>> 12, name, nameBytes)
    }
    return used
  }

  [Symbol.iterator](): Iterator<InodeDirEntry> {
    return writtenEntries(this, true)
  }
}
