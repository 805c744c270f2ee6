import { FallocateMode, OpenFlags, ROOT_INO, SeekWhence, SetattrValid } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, KiB, me, memoryFs, MiB, setattrRequest } from './unit-helpers.js'

const { KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE } = FallocateMode
const { SEEK_DATA, SEEK_HOLE } = SeekWhence
const PAGE = 4096
const BLOCKS_PER_PAGE = PAGE / 512

/** A new file open for reading and writing, with helpers over its handle. */
async function openFile(size: string | number = '64M') {
  const fs = memoryFs(size)
  const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, OpenFlags.O_RDWR)
  const stat = () => fs.getattr(me, ino, fh)
  const write = (data: Buffer, at: number) => fs.write(me, ino, fh, data, at)
  const read = async (at: number, length: number) => {
    const buffer = Buffer.alloc(length, 0xee)
    return buffer.subarray(0, await fs.read(me, ino, fh, buffer, at))
  }
  const fallocate = (mode: number, offset: number, length: number) => fs.fallocate(me, ino, fh, mode, offset, length)
  const seek = (offset: number, whence: number) => fs.lseek(me, ino, fh, offset, whence)
  const truncate = (size: number) => fs.setattr(me, ino, setattrRequest({ valid: SetattrValid.SIZE, size }))
  return { fs, ino, fh, stat, write, read, fallocate, seek, truncate }
}

describe('fallocate', () => {
  it('allocates pages and extends the size (mode 0); the range reads as zeros and stays a hole to SEEK_DATA', async () => {
    const f = await openFile()
    await f.fallocate(0, 100, 3 * PAGE)
    expect(await f.stat()).toMatchObject({ size: 100 + 3 * PAGE, blocks: 4 * BLOCKS_PER_PAGE })
    expect((await f.read(0, 100 + 3 * PAGE)).equals(Buffer.alloc(100 + 3 * PAGE))).toBe(true)
    await expectFsError(() => f.seek(0, SEEK_DATA), 'ENXIO')
    expect(await f.seek(0, SEEK_HOLE)).toBe(0)
  })

  it('leaves the size alone with KEEP_SIZE, and truncation frees what lies past the end', async () => {
    const f = await openFile()
    await f.write(Buffer.alloc(10, 1), 0)
    await f.fallocate(KEEP_SIZE, 0, 1 * MiB)
    expect(await f.stat()).toMatchObject({ size: 10, blocks: (MiB / PAGE) * BLOCKS_PER_PAGE })
    await f.truncate(10)
    expect(await f.stat()).toMatchObject({ size: 10, blocks: BLOCKS_PER_PAGE })
  })

  it('punches holes (with KEEP_SIZE): the pages wholly inside are freed and read as zeros, partial pages are zeroed', async () => {
    const f = await openFile()
    await f.write(Buffer.alloc(16 * PAGE, 7), 0)
    await f.fallocate(PUNCH_HOLE | KEEP_SIZE, PAGE + 100, 3 * PAGE)
    // Pages 2 and 3 go; pages 1 and 4 are only partly inside and stay.
    expect(await f.stat()).toMatchObject({ size: 16 * PAGE, blocks: 14 * BLOCKS_PER_PAGE })
    const back = await f.read(0, 16 * PAGE)
    expect(back.subarray(0, PAGE + 100).every((b) => b === 7)).toBe(true)
    expect(back.subarray(PAGE + 100, 4 * PAGE + 100).every((b) => b === 0)).toBe(true)
    expect(back.subarray(4 * PAGE + 100).every((b) => b === 7)).toBe(true)
    expect(await f.seek(0, SEEK_HOLE)).toBe(2 * PAGE)
    expect(await f.seek(2 * PAGE, SEEK_DATA)).toBe(4 * PAGE)
  })

  it('gives the space of punched pages back', async () => {
    const f = await openFile('1M')
    await f.write(Buffer.alloc(MiB, 1), 0)
    await expectFsError(() => f.write(Buffer.alloc(PAGE, 1), MiB), 'ENOSPC')
    await f.fallocate(PUNCH_HOLE | KEEP_SIZE, 0, 512 * KiB)
    expect((await f.fs.statfs(me, ROOT_INO)).bfree).toBe(128)
    await f.write(Buffer.alloc(256 * KiB, 2), MiB)
    expect((await f.stat()).blocks).toBe(((768 * KiB) / PAGE) * BLOCKS_PER_PAGE)
  })

  it('zeroes a range, allocated, with or without KEEP_SIZE', async () => {
    const f = await openFile()
    await f.write(Buffer.alloc(4 * PAGE, 9), 0)
    await f.fallocate(ZERO_RANGE, PAGE, PAGE)
    expect((await f.read(0, 4 * PAGE)).equals(Buffer.concat([Buffer.alloc(PAGE, 9), Buffer.alloc(PAGE), Buffer.alloc(2 * PAGE, 9)]))).toBe(true)
    expect(await f.stat()).toMatchObject({ size: 4 * PAGE, blocks: 4 * BLOCKS_PER_PAGE })
    await f.fallocate(ZERO_RANGE | KEEP_SIZE, 3 * PAGE, 4 * PAGE)
    expect(await f.stat()).toMatchObject({ size: 4 * PAGE, blocks: 7 * BLOCKS_PER_PAGE })
    await f.fallocate(ZERO_RANGE, 6 * PAGE, 2 * PAGE)
    expect(await f.stat()).toMatchObject({ size: 8 * PAGE, blocks: 8 * BLOCKS_PER_PAGE })
    expect(await f.seek(0, SEEK_HOLE)).toBe(PAGE)
  })

  it('refuses other modes (EOPNOTSUPP), a hole without KEEP_SIZE, empty or negative ranges (EINVAL), and a read-only handle (EBADF)', async () => {
    const f = await openFile()
    await expectFsError(() => f.fallocate(PUNCH_HOLE, 0, PAGE), 'EOPNOTSUPP')
    await expectFsError(() => f.fallocate(0x08, 0, PAGE), 'EOPNOTSUPP')
    await expectFsError(() => f.fallocate(0x20, 0, PAGE), 'EOPNOTSUPP')
    await expectFsError(() => f.fallocate(0, 0, 0), 'EINVAL')
    await expectFsError(() => f.fallocate(0, -1, PAGE), 'EINVAL')
    const reader = await f.fs.open(me, f.ino, OpenFlags.O_RDONLY)
    await expectFsError(() => f.fs.fallocate(me, f.ino, reader, 0, 0, PAGE), 'EBADF')
  })

  it('respects the capacity: a range that does not fit fails with ENOSPC and allocates nothing', async () => {
    const f = await openFile('1M')
    await expectFsError(() => f.fallocate(0, 0, 2 * MiB), 'ENOSPC')
    await f.write(Buffer.alloc(512 * KiB, 1), 0)
    await expectFsError(() => f.fallocate(0, 512 * KiB, 768 * KiB), 'ENOSPC')
    expect(await f.stat()).toMatchObject({ size: 512 * KiB, blocks: ((512 * KiB) / PAGE) * BLOCKS_PER_PAGE })
    await f.fallocate(0, 512 * KiB, 512 * KiB)
    expect((await f.fs.statfs(me, ROOT_INO)).bfree).toBe(0)
  })

  it('updates mtime and ctime, as tmpfs does, KEEP_SIZE included', async () => {
    const f = await openFile()
    const old = { sec: 5, nsec: 0 }
    await f.fs.setattr(me, f.ino, setattrRequest({ valid: SetattrValid.ATIME | SetattrValid.MTIME, atime: old, mtime: old }))
    await f.fallocate(KEEP_SIZE, 0, PAGE)
    expect((await f.stat()).mtime.sec).toBeGreaterThan(old.sec)
  })
})

describe('lseek SEEK_DATA / SEEK_HOLE', () => {
  it('answers page by page, as tmpfs: data is what was written, the end of the file is a hole', async () => {
    const f = await openFile()
    await f.write(Buffer.from('x'), 10 * PAGE + 5)
    await f.write(Buffer.from('y'), 100 * PAGE)
    const size = 100 * PAGE + 1
    expect(await f.seek(0, SEEK_DATA)).toBe(10 * PAGE)
    expect(await f.seek(10 * PAGE + 7, SEEK_DATA)).toBe(10 * PAGE + 7)
    expect(await f.seek(10 * PAGE + 7, SEEK_HOLE)).toBe(11 * PAGE)
    expect(await f.seek(11 * PAGE, SEEK_DATA)).toBe(100 * PAGE)
    expect(await f.seek(0, SEEK_HOLE)).toBe(0)
    expect(await f.seek(100 * PAGE, SEEK_HOLE)).toBe(size)
    await expectFsError(() => f.seek(size, SEEK_DATA), 'ENXIO')
    await expectFsError(() => f.seek(size, SEEK_HOLE), 'ENXIO')
    await expectFsError(() => f.seek(-1, SEEK_DATA), 'ENXIO')
  })

  it('finds no data after the last page written (ENXIO), and truncation keeps the page holding the new end', async () => {
    const f = await openFile()
    await f.write(Buffer.alloc(3 * PAGE, 1), 0)
    await f.truncate(20 * PAGE)
    await expectFsError(() => f.seek(3 * PAGE, SEEK_DATA), 'ENXIO')
    expect(await f.seek(PAGE, SEEK_HOLE)).toBe(3 * PAGE)
    await f.truncate(PAGE + 1)
    expect(await f.seek(PAGE, SEEK_DATA)).toBe(PAGE)
    expect(await f.seek(0, SEEK_HOLE)).toBe(PAGE + 1)
  })

  it('is quick on a very sparse file', async () => {
    const f = await openFile()
    await f.write(Buffer.from('end'), 2 ** 40)
    expect(await f.seek(0, SEEK_DATA)).toBe(2 ** 40)
    expect(await f.seek(0, SEEK_HOLE)).toBe(0)
  })

  it('answers EINVAL for other whence values', async () => {
    const f = await openFile()
    await f.write(Buffer.from('x'), 0)
    await expectFsError(() => f.seek(0, 0), 'EINVAL')
  })
})

describe('copyFileRange', () => {
  it('copies between two open files and answers the count, short at the end of the source', async () => {
    const f = await openFile()
    await f.write(Buffer.from('0123456789'), 0)
    const out = await f.fs.create(me, ROOT_INO, 'out', 0o644, OpenFlags.O_WRONLY)
    expect(await f.fs.copyFileRange(me, f.ino, f.fh, 2, out.ino, out.fh, 100, 5, 0)).toBe(5)
    expect(await f.fs.copyFileRange(me, f.ino, f.fh, 8, out.ino, out.fh, 105, 50, 0)).toBe(2)
    expect(await f.fs.copyFileRange(me, f.ino, f.fh, 10, out.ino, out.fh, 0, 50, 0)).toBe(0)
    const reader = await f.fs.open(me, out.ino, OpenFlags.O_RDONLY)
    const back = Buffer.alloc(200)
    const count = await f.fs.read(me, out.ino, reader, back, 0)
    expect(count).toBe(107)
    expect(back.subarray(100, 107).toString()).toBe('2345689')
    expect(back.subarray(0, 100).equals(Buffer.alloc(100))).toBe(true)
  })

  it('copies within one file when the ranges do not overlap (EINVAL when they do)', async () => {
    const f = await openFile()
    await f.write(Buffer.from('abcdef'), 0)
    expect(await f.fs.copyFileRange(me, f.ino, f.fh, 0, f.ino, f.fh, 6, 6, 0)).toBe(6)
    expect((await f.read(0, 12)).toString()).toBe('abcdefabcdef')
    await expectFsError(() => f.fs.copyFileRange(me, f.ino, f.fh, 0, f.ino, f.fh, 3, 6, 0), 'EINVAL')
  })

  it('copies across chunks and holes (a hole arrives as zeros)', async () => {
    const f = await openFile()
    const data = Buffer.from(Array.from({ length: 300 * KiB }, (_, i) => i % 253))
    await f.write(data, 0)
    await f.write(Buffer.from('tail'), MiB)
    const out = await f.fs.create(me, ROOT_INO, 'out', 0o644, OpenFlags.O_RDWR)
    expect(await f.fs.copyFileRange(me, f.ino, f.fh, 0, out.ino, out.fh, 0, 2 * MiB, 0)).toBe(MiB + 4)
    const back = Buffer.alloc(MiB + 4)
    await f.fs.read(me, out.ino, out.fh, back, 0)
    expect(back.subarray(0, data.length).equals(data)).toBe(true)
    expect(back.subarray(data.length, MiB).equals(Buffer.alloc(MiB - data.length))).toBe(true)
    expect(back.subarray(MiB).toString()).toBe('tail')
  })

  it('needs a readable source and a writable target (EBADF), and no flags (EINVAL)', async () => {
    const f = await openFile()
    const out = await f.fs.create(me, ROOT_INO, 'out', 0o644, OpenFlags.O_RDONLY)
    await expectFsError(() => f.fs.copyFileRange(me, f.ino, f.fh, 0, out.ino, out.fh, 0, 1, 0), 'EBADF')
    await expectFsError(() => f.fs.copyFileRange(me, out.ino, out.fh, 0, f.ino, f.fh, 0, 1, 1), 'EINVAL')
  })

  it('stops short when the capacity runs out after some progress', async () => {
    const f = await openFile('1M')
    await f.write(Buffer.alloc(600 * KiB, 1), 0)
    const out = await f.fs.create(me, ROOT_INO, 'out', 0o644, OpenFlags.O_WRONLY)
    const copied = await f.fs.copyFileRange(me, f.ino, f.fh, 0, out.ino, out.fh, 0, 600 * KiB, 0)
    expect(copied).toBeGreaterThan(0)
    expect(copied).toBeLessThan(600 * KiB)
    expect((await f.fs.getattr(me, out.ino)).size).toBe(copied)
  })
})
