import { describe, expect, it } from 'vitest'
import { encodeStat, foldIno, resolveTimes, toNativeStatVfs, UTIME_OMIT_MS } from '../src/fuse-native/values.js'
import { Timespec, type Stat } from '../src/types.js'

const stat: Stat = {
  ino: 42, mode: 0o100644, nlink: 3, uid: 1000, gid: 100, rdev: 0, size: 2 ** 40 + 5, blksize: 4096, blocks: 7,
  atime: { sec: 1_600_000_000, nsec: 123_456_789 }, mtime: { sec: 1, nsec: 0 }, ctime: { sec: 2, nsec: 999_999_999 },
}

describe('encodeStat', () => {
  it('lays out the 18 words fuse-native reads, times in milliseconds', () => {
    const ints = encodeStat(stat)
    expect(ints.length).toBe(18)
    expect([ints[0], ints[1], ints[2]]).toEqual([0o100644, 1000, 100])
    expect(ints[3]! + ints[4]! * 2 ** 32).toBe(2 ** 40 + 5)
    expect([ints[6], ints[7], ints[9]]).toEqual([3, 42, 4096])
    expect(ints[12]! + ints[13]! * 2 ** 32).toBe(1_600_000_000_123)
    expect(ints[16]! + ints[17]! * 2 ** 32).toBe(2999)
  })
})

describe('foldIno', () => {
  it('keeps 32-bit inode numbers and folds larger ones instead of truncating', () => {
    expect(foldIno(7)).toBe(7)
    expect(foldIno(2 ** 32 + 7)).toBe(6)
    expect(foldIno(2 ** 32 + 7)).not.toBe(foldIno(7))
  })
})

describe('toNativeStatVfs', () => {
  it('scales the fragment size until 64-bit counts fit in 32 bits', () => {
    const s = toNativeStatVfs({ bsize: 4096, frsize: 4096, blocks: 2 ** 34, bfree: 2 ** 33, bavail: 2 ** 33, files: 10, ffree: 5, favail: 5, fsid: 0, flag: 0, namemax: 255 })
    expect(s.blocks).toBeLessThanOrEqual(0xffffffff)
    expect(s.blocks * s.frsize).toBe(2 ** 34 * 4096)
    expect(s.bfree * s.frsize).toBe(2 ** 33 * 4096)
  })
})

describe('resolveTimes', () => {
  it('passes real times through as Timespecs', () => {
    expect(resolveTimes(1500, 2500)).toEqual([Timespec.fromMillis(1500), Timespec.fromMillis(2500)])
  })
  it('leaves a time marked UTIME_OMIT unchanged', () => {
    expect(resolveTimes(UTIME_OMIT_MS, 5000)).toEqual([undefined, Timespec.fromMillis(5000)])
    expect(resolveTimes(5000, UTIME_OMIT_MS)).toEqual([Timespec.fromMillis(5000), undefined])
  })
})
