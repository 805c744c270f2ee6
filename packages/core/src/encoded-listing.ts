import type { InodeDirEntry } from './inode-operations.js'
import type { ListingWriter } from './listing-writer.js'
import { DIRENT_HEADER_SIZE, FUSE_UNKNOWN_INO, direntSize, encodeDirent, readU32, readU64, writeU64 } from './lowlevel/protocol.js'
import { FileType } from './types.js'

/** Chunks start small (most directories are small) and double up to this size. */
const FIRST_CHUNK = 512
const LAST_CHUNK = 64 * 1024
/** Where ".." stands: right after ".", whose dirent is 32 bytes. */
const DOTDOT_AT = direntSize(1)

/**
 * A directory's listing held as the bytes READDIR answers with (fuse_dirent: "." and ".." first,
 * each entry's offset its position + 1), for a backend that is the only writer of its names: it
 * appends each name it adds, and the low-level driver answers a listing with copies of these
 * bytes, no JavaScript per entry. Names are only ever added: a backend that removes one starts a
 * new listing, and readers of the old one go on with what it held (POSIX leaves it unspecified
 * whether a listing shows names removed after it began).
 */
export class EncodedListing {
  /** Whole dirents; every chunk but the last is cut to the bytes it holds. */
  private readonly chunks: Buffer[] = []
  /** Bytes used of the last chunk. */
  private used = 0
  private entries = 0

  constructor(ino: number, parent: number) {
    this.append('.', ino, FileType.S_IFDIR)
    this.append('..', parent, FileType.S_IFDIR)
  }

  /** Entries held, "." and ".." included. */
  get length(): number {
    return this.entries
  }

  /** Adds an entry at the end; `type` is the S_IFMT bits of its mode. */
  append(name: string, ino: number, type: number): void {
    const nameBytes = Buffer.byteLength(name)
    const size = direntSize(nameBytes)
    let last = this.chunks.at(-1)
    if (last === undefined || this.used + size > last.length) {
      const capacity = last === undefined ? FIRST_CHUNK : Math.min(LAST_CHUNK, last.buffer.byteLength * 2)
      if (last !== undefined) this.chunks[this.chunks.length - 1] = last.subarray(0, this.used)
      last = Buffer.allocUnsafeSlow(Math.max(size, capacity))
      this.chunks.push(last)
      this.used = 0
    }
    this.entries++
    this.used += encodeDirent(last, this.used, ino || FUSE_UNKNOWN_INO, this.entries, type >>> 12, name, nameBytes)
  }

  /** The directory was moved: ".." names its new parent. */
  setParent(ino: number): void {
    writeU64(this.chunks[0]!, DOTDOT_AT, ino)
  }

  /** A reader of the entries from `offset` on (the number of entries before it). */
  from(offset: number): ListingReader {
    return new ListingReader(this, offset)
  }

  /** For readers: chunk `index` (undefined past the last), where its bytes end, and how many there are. */
  chunk(index: number): Buffer | undefined {
    return this.chunks[index]
  }

  chunkEnd(index: number): number {
    return index === this.chunks.length - 1 ? this.used : this.chunks[index]!.length
  }

  get chunkCount(): number {
    return this.chunks.length
  }
}

/**
 * A place in an EncodedListing, moved on by what is read: whole dirents copied into a READDIR
 * reply, or, for any other caller, entries as an iterable of InodeDirEntry.
 */
export class ListingReader implements ListingWriter {
  /** READDIRPLUS entries need stats it does not hold: the driver iterates it for them. */
  readonly writesPlus = false
  private chunkIndex = 0
  private at = 0
  /** The number of entries before the next one read. */
  offset = 0

  constructor(
    private readonly listing: EncodedListing,
    offset: number,
  ) {
    // The entries before `offset` are stepped over by their sizes, not copied.
    for (let bytes = this.current(); bytes !== undefined && this.offset < offset; bytes = this.current()) {
      this.at += direntSize(nameLength(bytes, this.at))
      this.offset++
    }
  }

  /**
   * Copies the whole dirents that fit in `room` bytes into `into` at `start`, at most `most`; the
   * bytes copied (0 at the end of the listing).
   */
  write(into: Buffer, start: number, room: number, _plus = false, most = Infinity): number {
    let copied = 0
    const last = this.offset + most
    for (let bytes = this.current(); bytes !== undefined; bytes = this.current()) {
      const held = this.listing.chunkEnd(this.chunkIndex)
      let end = this.at
      while (end < held && this.offset < last) {
        const size = direntSize(nameLength(bytes, end))
        if (copied + end - this.at + size > room) break
        end += size
        this.offset++
      }
      bytes.copy(into, start + copied, this.at, end)
      copied += end - this.at
      this.at = end
      if (end < held) break
    }
    return copied
  }

  /** Whether every entry held has been read (more may be appended). */
  get atEnd(): boolean {
    return this.current() === undefined
  }

  *[Symbol.iterator](): Iterator<InodeDirEntry> {
    for (let bytes = this.current(); bytes !== undefined; bytes = this.current()) {
      const nameBytes = nameLength(bytes, this.at)
      const ino = readU64(bytes, this.at)
      const name = bytes.toString('utf8', this.at + DIRENT_HEADER_SIZE, this.at + DIRENT_HEADER_SIZE + nameBytes)
      const type = readU32(bytes, this.at + 20) << 12
      this.at += direntSize(nameBytes)
      this.offset++
      yield { name, ino: ino === FUSE_UNKNOWN_INO ? 0 : ino, type }
    }
  }

  /** The chunk holding the next entry, after moving past a chunk read to its end; undefined at the end. */
  private current(): Buffer | undefined {
    for (;;) {
      const bytes = this.listing.chunk(this.chunkIndex)
      if (bytes === undefined) return undefined
      if (this.at < this.listing.chunkEnd(this.chunkIndex)) return bytes
      if (this.chunkIndex + 1 >= this.listing.chunkCount) return undefined
      this.chunkIndex++
      this.at = 0
    }
  }
}

/** A dirent's name length (names are at most a few hundred bytes: the low two bytes hold it). */
function nameLength(bytes: Buffer, at: number): number {
  return bytes[at + 16]! | (bytes[at + 17]! << 8)
}
