import { describe, expect, it } from 'vitest'
import {
  ENTRY_OUT_SIZE,
  OUT_HEADER_SIZE,
  direntSize,
  encodeAttr,
  encodeDirent,
  encodeEntry,
  readU32,
  readU64,
  replyBuffer,
  splitSeconds,
  truncateReply,
  writeI32,
  writeU32,
  writeU64,
} from '../src/lowlevel/protocol.js'
import type { Stat } from '../src/types.js'

const stat: Stat = {
  ino: 2 ** 40 + 7, mode: 0o100644, nlink: 3, uid: 1000, gid: 100, rdev: 5, size: 2 ** 40 + 5, blksize: 4096, blocks: 9,
  atime: { sec: 1_600_000_000, nsec: 123_456_789 }, mtime: { sec: -2, nsec: 5 }, ctime: { sec: 2 ** 33, nsec: 999_999_999 },
}

describe('FUSE protocol encoding', () => {
  it('round-trips 64-bit numbers beyond 32 bits', () => {
    const buf = Buffer.alloc(8)
    writeU64(buf, 0, 2 ** 52 + 3)
    expect(buf.readBigUInt64LE(0)).toBe(2n ** 52n + 3n)
    expect(readU64(buf, 0)).toBe(2 ** 52 + 3)
    // Values of 32 bits take a shorter way, which must clear the high half too.
    for (const value of [0xffff_ffff, 2 ** 32, 0]) {
      buf.fill(0xff)
      writeU64(buf, 0, value)
      expect(buf.readBigUInt64LE(0)).toBe(BigInt(value))
      expect(readU64(buf, 0)).toBe(value)
    }
    expect(() => writeU64(buf, 0, -1)).toThrow(RangeError)
  })

  it('reads and writes 32-bit fields as Buffer does, little-endian, refusing values out of range', () => {
    const buf = Buffer.alloc(12)
    writeU32(buf, 0, 0xfedc_ba98)
    writeI32(buf, 4, -2)
    writeI32(buf, 8, 0x7fff_ffff)
    expect([buf.readUInt32LE(0), buf.readInt32LE(4), buf.readInt32LE(8)]).toEqual([0xfedc_ba98, -2, 0x7fff_ffff])
    expect([readU32(buf, 0), readU32(buf, 4)]).toEqual([0xfedc_ba98, 0xffff_fffe])
    expect(() => writeU32(buf, 0, 2 ** 32)).toThrow(RangeError)
    expect(() => writeU32(buf, 0, -1)).toThrow(RangeError)
    expect(() => writeI32(buf, 0, 2 ** 31)).toThrow(RangeError)
    expect(() => writeU64(buf, 0, 2 ** 64)).toThrow(RangeError)
  })

  it('lays out fuse_attr with 64-bit ino and size and nanosecond times, before 1970 too', () => {
    const buf = Buffer.alloc(88)
    encodeAttr(buf, 0, stat)
    expect(buf.readBigUInt64LE(0)).toBe(2n ** 40n + 7n)
    expect(buf.readBigUInt64LE(8)).toBe(2n ** 40n + 5n)
    expect(buf.readBigUInt64LE(16)).toBe(9n)
    expect(buf.readBigUInt64LE(24)).toBe(1_600_000_000n)
    expect(buf.readBigInt64LE(32)).toBe(-2n)
    expect(buf.readBigUInt64LE(40)).toBe(2n ** 33n)
    expect([buf.readUInt32LE(48), buf.readUInt32LE(52), buf.readUInt32LE(56)]).toEqual([123_456_789, 5, 999_999_999])
    expect([60, 64, 68, 72, 76, 80].map((at) => buf.readUInt32LE(at))).toEqual([0o100644, 3, 1000, 100, 5, 4096])
  })

  it('splits timeouts into seconds and nanoseconds in fuse_entry_out', () => {
    expect(splitSeconds(1.5)).toEqual([1, 500_000_000])
    const buf = Buffer.alloc(ENTRY_OUT_SIZE)
    encodeEntry(buf, 0, 12, stat, 2.25, 0)
    expect([readU64(buf, 0), readU64(buf, 16), readU64(buf, 24), buf.readUInt32LE(32), buf.readUInt32LE(36)]).toEqual([12, 2, 0, 250_000_000, 0])
    expect(readU64(buf, 40)).toBe(stat.ino)
  })

  it('encodes a negative entry as node id 0 with zeroed attributes', () => {
    const buf = Buffer.alloc(ENTRY_OUT_SIZE, 0xff)
    encodeEntry(buf, 0, 0, undefined, 1, 0)
    expect(readU64(buf, 0)).toBe(0)
    expect(buf.subarray(40).every((b) => b === 0)).toBe(true)
  })

  it('pads directory entries to 8 bytes', () => {
    expect([direntSize(1), direntSize(8), direntSize(9)]).toEqual([32, 32, 40])
    const buf = Buffer.alloc(40, 0xff)
    expect(encodeDirent(buf, 0, 5, 3, 4, 'abcdefgé', 9)).toBe(40)
    expect([readU64(buf, 0), readU64(buf, 8), buf.readUInt32LE(16), buf.readUInt32LE(20)]).toEqual([5, 3, 9, 4])
    expect(buf.toString('utf8', 24, 33)).toBe('abcdefgé')
    expect(buf.subarray(33).every((b) => b === 0)).toBe(true)
    // Every byte of the header, whether its fields fit 32 bits (stored in place) or not.
    for (const [ino, next] of [[0xfedc_ba98, 0x0102_0304], [2 ** 40 + 7, 2 ** 33 + 1]] as const) {
      const dirent = Buffer.alloc(32, 0xff)
      encodeDirent(dirent, 0, ino, next, 0o10, 'ab', 2)
      expect([dirent.readBigUInt64LE(0), dirent.readBigUInt64LE(8), dirent.readUInt32LE(16), dirent.readUInt32LE(20)]).toEqual([BigInt(ino), BigInt(next), 2, 0o10])
    }
    // An ASCII name (copied by encodeDirent itself) and a long one (by Node's encoder).
    for (const name of ['f12345', 'x'.repeat(200)]) {
      const dirent = Buffer.alloc(direntSize(name.length), 0xff)
      expect(encodeDirent(dirent, 0, 7, 8, 8, name, name.length)).toBe(dirent.length)
      expect(dirent.toString('latin1', 24, 24 + name.length)).toBe(name)
      expect(dirent.subarray(24 + name.length).every((b) => b === 0)).toBe(true)
    }
  })

  it('writes the out header and shortens a reply to what was filled', () => {
    const reply = replyBuffer(9, 100, -2)
    expect([reply.readUInt32LE(0), reply.readInt32LE(4), readU64(reply, 8)]).toEqual([116, -2, 9])
    const short = truncateReply(reply, 10)
    expect([short.length, short.readUInt32LE(0)]).toEqual([OUT_HEADER_SIZE + 10, 26])
  })
})
