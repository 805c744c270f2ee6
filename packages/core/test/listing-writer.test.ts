import { describe, expect, it } from 'vitest'
import { EncodedListing } from '../src/encoded-listing.js'
import type { InodeDirEntry } from '../src/inode-operations.js'
import { isListingWriter, writtenEntries } from '../src/listing-writer.js'
import { direntSize } from '../src/lowlevel/protocol.js'
import { FixedWriter } from './fixed-writer.js'
import { FileType, type Stat } from '../src/types.js'

const { S_IFDIR, S_IFREG } = FileType

const stat: Stat = {
  ino: 2 ** 40 + 5,
  mode: S_IFREG | 0o640,
  nlink: 2,
  uid: 1000,
  gid: 100,
  rdev: 0x1_0305,
  size: 2 ** 33,
  blksize: 4096,
  blocks: 9,
  atime: { sec: -1_000_001, nsec: 750_000_000 },
  mtime: { sec: 86_400, nsec: 500_000_000 },
  ctime: { sec: 2 ** 34, nsec: 1 },
}

describe('ListingWriter', () => {
  const listed: InodeDirEntry[] = [
    { name: '.', ino: 3, type: S_IFDIR },
    { name: 'ünïcode', ino: 2 ** 40 + 5, type: S_IFREG, entry: { ino: 77, attr: stat } },
    { name: 'again', ino: 9, type: S_IFREG, entry: { ino: 2 ** 35, attr: { ...stat, ino: 9 }, generation: 4 } },
  ]

  it('is told from a plain iterable by its write method; an EncodedListing reader is one that writes no READDIRPLUS', () => {
    const reader = new EncodedListing(3, 1).from(0)
    expect(isListingWriter(reader)).toBe(true)
    expect(reader.writesPlus).toBe(false)
    expect(isListingWriter(listed)).toBe(false)
  })

  it('iterates as the entries it writes, decoded: names, types, node ids, generations and every attribute', () => {
    expect([...new FixedWriter(listed)]).toEqual(listed)
  })

  it('writes one entry per step when iterated, so that an entry never taken is never counted', () => {
    const writer = new FixedWriter(listed)
    const iterator = writer[Symbol.iterator]()
    iterator.next()
    iterator.next()
    expect(writer.offset).toBe(2)
    expect(writer.writes).toBe(2)
  })

  it('stops an EncodedListing write at `most` entries', () => {
    const listing = new EncodedListing(3, 1)
    for (let i = 0; i < 10; i++) listing.append(`entry-${i}`, 100 + i, S_IFREG)
    const reader = listing.from(0)
    const into = Buffer.alloc(4096)
    expect(reader.write(into, 0, into.length, false, 3)).toBe(direntSize(1) + direntSize(2) + direntSize(7))
    expect(reader.offset).toBe(3)
    expect([...writtenEntries(reader, false)].map((e) => e.name)).toEqual(Array.from({ length: 9 }, (_, i) => `entry-${i + 1}`))
  })
})
