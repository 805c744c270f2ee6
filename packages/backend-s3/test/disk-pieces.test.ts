import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DiskPieces } from '../src/disk-pieces.js'

const KiB = 1024

describe('DiskPieces', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusekit-pieces-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const bytes = (length: number, seed: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff))

  it('reads back whole blocks written, and only those: a part of a block is not there', () => {
    const pieces = new DiskPieces(dir, 1024 * KiB, 64 * KiB)
    const size = 200 * KiB
    const block = bytes(64 * KiB, 1)
    const file = pieces.create()!
    expect(pieces.put(file, size, 64 * KiB, block)).toEqual([1])
    expect(pieces.bytesOf(1, size)).toEqual([64 * KiB, 64 * KiB])
    const out = Buffer.alloc(8 * KiB)
    expect(pieces.read(file, out, 70 * KiB, 78 * KiB)).toBe(true)
    expect(out.equals(block.subarray(6 * KiB, 14 * KiB))).toBe(true)
    // Bytes [128K, 160K) of the next block: written, but the block is not whole.
    expect(pieces.put(file, size, 128 * KiB, bytes(32 * KiB, 2))).toEqual([])
    expect(pieces.read(file, out, 130 * KiB, 138 * KiB)).toBe(false)
    // A read across a block that is not there.
    expect(pieces.read(file, out, 124 * KiB, 132 * KiB)).toBe(false)
    // The object's last block is whole where the object ends.
    const tail = bytes(8 * KiB, 3)
    expect(pieces.put(file, size, 192 * KiB, tail)).toEqual([3])
    expect(pieces.bytesOf(3, size)).toEqual([192 * KiB, 8 * KiB])
    expect(pieces.read(file, out, 192 * KiB, 200 * KiB)).toBe(true)
    expect(out.equals(tail)).toBe(true)
    expect(pieces.used).toBe(64 * KiB + 8 * KiB)
    pieces.remove(file)
    expect(pieces.used).toBe(0)
  })

  it('keeps at most its limit; a file leaves nothing in the directory, and closing it frees its space', async () => {
    const pieces = new DiskPieces(dir, 128 * KiB, 64 * KiB)
    const size = 1024 * KiB
    const file = pieces.create()!
    expect(pieces.put(file, size, 0, bytes(128 * KiB, 4))).toEqual([0, 1])
    expect(pieces.used).toBe(128 * KiB)
    expect(pieces.put(file, size, 128 * KiB, bytes(64 * KiB, 5))).toEqual([])
    expect(pieces.used).toBe(128 * KiB)
    expect(pieces.read(file, Buffer.alloc(KiB), 130 * KiB, 131 * KiB)).toBe(false)
    expect(await readdir(dir)).toEqual([])
    pieces.destroy()
    expect(pieces.used).toBe(0)
    const again = pieces.create()!
    pieces.put(again, size, 0, bytes(64 * KiB, 6))
    expect(pieces.read(again, Buffer.alloc(KiB), 0, KiB)).toBe(true)
    pieces.destroy()
  })
})
