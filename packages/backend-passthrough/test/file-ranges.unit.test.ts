import { lstatSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FallocateMode, FsError, OpenFlags, ROOT_INO, SeekWhence, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import type { PassthroughInodes } from '../src/passthrough.js'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'

const MiB = 1024 * 1024

/** A file of `bytes` non-zero bytes in the source, opened read-write. */
async function openFile(ops: PassthroughInodes, source: string, name: string, bytes: number): Promise<{ ino: number; fh: number; path: string }> {
  const path = join(source, name)
  writeFileSync(path, Buffer.alloc(bytes, 0x61))
  const { ino } = orThrow(ops.lookup(asRoot, ROOT_INO, name))
  return { ino, fh: await ops.open(asRoot, ino, OpenFlags.O_RDWR), path }
}

describe('fallocate passes every mode to the source', () => {
  it('allocates and extends (mode 0), or allocates keeping the size (KEEP_SIZE)', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const { ino, fh, path } = await openFile(ops, box.source, 'file', 0)
    await ops.fallocate(asRoot, ino, fh, 0, 0, MiB)
    expect(lstatSync(path).size).toBe(MiB)
    expect(lstatSync(path).blocks * 512).toBeGreaterThanOrEqual(MiB)
    await ops.fallocate(asRoot, ino, fh, FallocateMode.KEEP_SIZE, MiB, MiB)
    expect(lstatSync(path).size).toBe(MiB)
    expect(lstatSync(path).blocks * 512).toBeGreaterThanOrEqual(2 * MiB)
  })

  it('punches a hole: the blocks are freed and the range reads as zeros', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const { ino, fh, path } = await openFile(ops, box.source, 'file', 2 * MiB)
    const blocks = lstatSync(path).blocks
    await ops.fallocate(asRoot, ino, fh, FallocateMode.PUNCH_HOLE | FallocateMode.KEEP_SIZE, 4096, MiB)
    const after = lstatSync(path)
    expect(after.size).toBe(2 * MiB)
    expect(after.blocks).toBeLessThan(blocks)
    const data = readFileSync(path)
    expect(data.subarray(4096, 4096 + MiB).equals(Buffer.alloc(MiB))).toBe(true)
    expect(data[4095]).toBe(0x61)
    expect(data[4096 + MiB]).toBe(0x61)
    // Linux wants KEEP_SIZE with PUNCH_HOLE: the source says so.
    await expectFsError(() => ops.fallocate(asRoot, ino, fh, FallocateMode.PUNCH_HOLE, 0, 4096), 'EOPNOTSUPP')
  })

  it('zeroes a range (ZERO_RANGE) where the source can', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const { ino, fh, path } = await openFile(ops, box.source, 'file', 64 * 1024)
    try {
      await ops.fallocate(asRoot, ino, fh, FallocateMode.ZERO_RANGE, 8192, 8192)
    } catch (error) {
      expect((error as FsError).code).toBe('EOPNOTSUPP')
      return
    }
    const data = readFileSync(path)
    expect(data.subarray(8192, 16384).equals(Buffer.alloc(8192))).toBe(true)
    expect(data[16384]).toBe(0x61)
  })
})

describe('lseek finds data and holes in the source file', () => {
  it('SEEK_DATA and SEEK_HOLE around a hole, ENXIO past the end', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const { ino, fh } = await openFile(ops, box.source, 'sparse', 0)
    await ops.write(asRoot, ino, fh, Buffer.alloc(4096, 1), 0)
    await ops.write(asRoot, ino, fh, Buffer.alloc(4096, 1), 4 * MiB)
    const size = 4 * MiB + 4096
    expect(await ops.lseek(asRoot, ino, fh, 0, SeekWhence.SEEK_DATA)).toBe(0)
    expect(await ops.lseek(asRoot, ino, fh, 0, SeekWhence.SEEK_HOLE)).toBe(4096)
    expect(await ops.lseek(asRoot, ino, fh, 8192, SeekWhence.SEEK_DATA)).toBe(4 * MiB)
    expect(await ops.lseek(asRoot, ino, fh, 4 * MiB, SeekWhence.SEEK_HOLE)).toBe(size)
    await expectFsError(() => ops.lseek(asRoot, ino, fh, size, SeekWhence.SEEK_DATA), 'ENXIO')
  })
})

describe('copy_file_range copies between two handles in the source', () => {
  it('copies a range at the offsets given, from one file into another and within one file', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const from = await openFile(ops, box.source, 'from', 0)
    const data = Buffer.from('0123456789abcdef'.repeat(4096))
    await ops.write(asRoot, from.ino, from.fh, data, 0)
    const to = await openFile(ops, box.source, 'to', 0)
    expect(await ops.copyFileRange(asRoot, from.ino, from.fh, 16, to.ino, to.fh, 100, 1000, 0)).toBe(1000)
    const copied = readFileSync(to.path)
    expect(copied.length).toBe(1100)
    expect(copied.subarray(100).equals(data.subarray(16, 1016))).toBe(true)
    expect(copied.subarray(0, 100).equals(Buffer.alloc(100))).toBe(true)
    // Short at the end of the input, 0 past it.
    expect(await ops.copyFileRange(asRoot, from.ino, from.fh, data.length - 10, to.ino, to.fh, 0, 1000, 0)).toBe(10)
    expect(await ops.copyFileRange(asRoot, from.ino, from.fh, data.length, to.ino, to.fh, 0, 1000, 0)).toBe(0)
    expect(await ops.copyFileRange(asRoot, from.ino, from.fh, 0, from.ino, from.fh, data.length, 16, 0)).toBe(16)
    expect(readFileSync(from.path).subarray(data.length).toString()).toBe('0123456789abcdef')
  })

  it('answers the source’s errors: EINVAL for flags, EBADF for a handle opened read-only as the target', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const from = await openFile(ops, box.source, 'from', 100)
    const to = await openFile(ops, box.source, 'to', 0)
    await expectFsError(() => ops.copyFileRange(asRoot, from.ino, from.fh, 0, to.ino, to.fh, 0, 10, 1), 'EINVAL')
    const readOnly = await ops.open(asRoot, to.ino, OpenFlags.O_RDONLY)
    await expectFsError(() => ops.copyFileRange(asRoot, from.ino, from.fh, 0, to.ino, readOnly, 0, 10, 0), 'EBADF')
  })
})
