import { describe, expect, it } from 'vitest'
import { EncodedListing } from '../src/encoded-listing.js'
import type { InodeDirEntry } from '../src/inode-operations.js'
import { FUSE_UNKNOWN_INO, direntSize, encodeDirent } from '../src/lowlevel/protocol.js'
import { FileType } from '../src/types.js'

const { S_IFDIR, S_IFREG, S_IFLNK } = FileType

/** The dirents the low-level driver encodes one by one for these entries, offsets counted from 1. */
function direntsOf(entries: InodeDirEntry[]): Buffer {
  const parts = entries.map(({ name, ino, type }, i) => {
    const nameBytes = Buffer.byteLength(name)
    const buf = Buffer.alloc(direntSize(nameBytes))
    encodeDirent(buf, 0, ino || FUSE_UNKNOWN_INO, i + 1, type >>> 12, name, nameBytes)
    return buf
  })
  return Buffer.concat(parts)
}

/** Every entry of `listing` from `offset`, read in pieces of at most `room` bytes. */
function readAll(listing: EncodedListing, offset: number, room: number): { bytes: Buffer; pieces: number } {
  const reader = listing.from(offset)
  const parts: Buffer[] = []
  for (;;) {
    const piece = Buffer.alloc(room + 8, 0xee)
    const used = reader.write(piece, 8, room)
    if (used === 0) break
    expect(used).toBeLessThanOrEqual(room)
    parts.push(piece.subarray(8, 8 + used))
  }
  return { bytes: Buffer.concat(parts), pieces: parts.length }
}

/** "." and "..", then `count` entries: ASCII, UTF-8, 255-byte and empty-ino names, of three types. */
function entries(count: number): InodeDirEntry[] {
  const all: InodeDirEntry[] = [
    { name: '.', ino: 7, type: S_IFDIR },
    { name: '..', ino: 1, type: S_IFDIR },
  ]
  for (let i = 0; i < count; i++) {
    const name = i % 97 === 5 ? 'x'.repeat(255) : i % 13 === 0 ? `fichier-é-${i}-🙂` : `file-${i}`
    all.push({ name, ino: i % 50 === 3 ? 0 : 1000 + i * 2 ** 20, type: [S_IFREG, S_IFDIR, S_IFLNK][i % 3]! })
  }
  return all
}

function listingOf(all: InodeDirEntry[]): EncodedListing {
  const listing = new EncodedListing(all[0]!.ino, all[1]!.ino)
  for (const { name, ino, type } of all.slice(2)) listing.append(name, ino, type)
  return listing
}

describe('EncodedListing', () => {
  it('holds the bytes READDIR would encode entry by entry, across its chunks, read in any size of piece', () => {
    const all = entries(5000)
    const listing = listingOf(all)
    expect(listing.length).toBe(all.length)
    const expected = direntsOf(all)
    expect(expected.length).toBeGreaterThan(3 * 64 * 1024) // chunks of 512 B doubling to 64 KiB
    for (const room of [4096, 32 * 1024, 1024 * 1024, 300]) expect(readAll(listing, 0, room).bytes.equals(expected)).toBe(true)
    // A piece holds whole entries only: one 255-byte name needs 280 bytes.
    expect(readAll(listing, 0, 280).pieces).toBeGreaterThan(all.length / 10)
  })

  it('starts at an offset: the entries before it are skipped, the next read starts at that entry', () => {
    const all = entries(3000)
    const listing = listingOf(all)
    for (const offset of [0, 1, 2, 3, 1234, 2999, all.length, all.length + 5]) {
      const reader = listing.from(offset)
      expect(reader.offset).toBe(Math.min(offset, all.length))
      expect(readAll(listing, offset, 4096).bytes.equals(direntsOf(all).subarray(direntsOf(all.slice(0, offset)).length))).toBe(true)
    }
  })

  it('gives its entries back as InodeDirEntry to a caller that iterates it', () => {
    const all = entries(700)
    expect([...listingOf(all).from(0)]).toEqual(all)
    expect([...listingOf(all).from(650)]).toEqual(all.slice(650))
  })

  it('shows entries appended after a reader reached the end to that reader, in a new chunk or the same', () => {
    const all = entries(40)
    const listing = listingOf(all)
    const reader = listing.from(0)
    const into = Buffer.alloc(1 << 20)
    const first = reader.write(into, 0, into.length)
    expect(reader.atEnd).toBe(true)
    expect(reader.write(into, first, into.length - first)).toBe(0)
    const more = entries(4000).slice(42)
    for (const { name, ino, type } of more) listing.append(name, ino, type)
    expect(reader.atEnd).toBe(false)
    const rest = reader.write(into, first, into.length - first)
    expect(into.subarray(0, first + rest).equals(direntsOf([...all, ...more]))).toBe(true)
    expect(reader.offset).toBe(all.length + more.length)
  })

  it('names a new parent in ".." when its directory moves', () => {
    const listing = listingOf(entries(3))
    listing.setParent(2 ** 33 + 5)
    expect([...listing.from(0)].slice(0, 2)).toEqual([
      { name: '.', ino: 7, type: S_IFDIR },
      { name: '..', ino: 2 ** 33 + 5, type: S_IFDIR },
    ])
  })
})
