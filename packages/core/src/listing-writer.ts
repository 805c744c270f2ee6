import type { InodeDirEntry } from './inode-operations.js'
import { DIRENT_HEADER_SIZE, ENTRY_OUT_SIZE, FUSE_UNKNOWN_INO, decodeAttr, direntPlusSize, readU32, readU64 } from './lowlevel/protocol.js'

/** The longest name FUSE carries (FUSE_NAME_MAX). */
const NAME_MAX = 1024

/**
 * A listing that writes its own entries into the low-level driver's replies, as the kernel reads
 * them (fuse_dirent; with `writesPlus`, fuse_direntplus too), with no InodeDirEntry per entry.
 * The driver copies what it writes; a READDIRPLUS of a writer that does not write them takes its
 * entries by iterating it. Iterating gives the same entries, for drivers that take them one by one
 * (writtenEntries does so from `write`), and goes on from where writing stopped.
 */
export interface ListingWriter extends Iterable<InodeDirEntry> {
  readonly writesPlus: boolean
  /**
   * Writes the next whole entries that fit in `room` bytes of `into` at `start`, at most `most`,
   * each with its Entry when `plus` (counting one lookup, as a sent InodeDirEntry's does, never
   * for "." and ".."); the bytes written, 0 at the end.
   */
  write(into: Buffer, start: number, room: number, plus: boolean, most?: number): number
  /** The number of entries before the next one written: where a READDIR goes on from. */
  readonly offset: number
  /** Whether every entry has been written. */
  readonly atEnd: boolean
  /**
   * Reading ahead, optional (both or neither): whether there is reading to do before the next
   * write. If so the driver sends the reply at hand so that the caller takes it in on another
   * CPU, and calls readAhead right after.
   */
  needsReadAhead?(): boolean
  /** Reads entries of the next writes, while the caller takes in the last reply. */
  readAhead?(): void
}

export function isListingWriter(entries: Iterable<InodeDirEntry>): entries is ListingWriter {
  return typeof (entries as Partial<ListingWriter>).write === 'function'
}

/**
 * A writer's entries decoded from what it writes, one entry per write so that no lookup is
 * counted for an entry never taken: the iteration of a ListingWriter that has no other.
 */
export function* writtenEntries(writer: Pick<ListingWriter, 'write'>, plus: boolean): Generator<InodeDirEntry> {
  const scratch = Buffer.alloc(direntPlusSize(NAME_MAX))
  while (writer.write(scratch, 0, scratch.length, plus, 1) > 0) {
    const node = plus ? readU64(scratch, 0) : 0
    const at = plus ? ENTRY_OUT_SIZE : 0
    const ino = readU64(scratch, at)
    const nameBytes = readU32(scratch, at + 16)
    yield {
      name: scratch.toString('utf8', at + DIRENT_HEADER_SIZE, at + DIRENT_HEADER_SIZE + nameBytes),
      ino: ino === FUSE_UNKNOWN_INO ? 0 : ino,
      type: readU32(scratch, at + 20) << 12,
      entry: node === 0 ? undefined : { ino: node, attr: decodeAttr(scratch, 40), generation: readU64(scratch, 8) || undefined },
    }
  }
}
