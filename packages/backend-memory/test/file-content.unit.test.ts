import '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { Capacity } from '../src/capacity.js'
import { ChunkPool } from '../src/chunk-pool.js'
import { CHUNK_SIZE, PAGE_SIZE } from '../src/chunk-pages.js'
import { FileContent, MAX_FILE_SIZE } from '../src/file-content.js'
import { expectFsError, MiB } from './unit-helpers.js'

function content(capacity = 64 * MiB) {
  const cap = new Capacity(capacity)
  return { cap, file: new FileContent({ capacity: cap, pool: new ChunkPool(CHUNK_SIZE) }) }
}

function readAt(file: FileContent, position: number, length: number): Buffer {
  // Garbage first: whatever read does not fill would show.
  const buffer = Buffer.alloc(length, 0xee)
  const count = file.read(buffer, position)
  return buffer.subarray(0, count)
}

describe('FileContent', () => {
  it('reads back what was written, and a short count at the end of file', () => {
    const { file } = content()
    file.write(Buffer.from('hello world'), 0)
    expect(readAt(file, 0, 11).toString()).toBe('hello world')
    expect(readAt(file, 6, 100).toString()).toBe('world')
    expect(readAt(file, 11, 10).length).toBe(0)
    expect(readAt(file, 1000, 10).length).toBe(0)
  })

  it('keeps holes sparse: they read as zeros and allocate nothing', () => {
    const { file, cap } = content()
    const far = 5 * CHUNK_SIZE + 100
    file.write(Buffer.from('abc'), far)
    expect(file.size).toBe(far + 3)
    expect(file.allocatedPages * PAGE_SIZE).toBe(PAGE_SIZE)
    expect(cap.used).toBe(PAGE_SIZE)
    expect(readAt(file, 0, 3 * CHUNK_SIZE).equals(Buffer.alloc(3 * CHUNK_SIZE))).toBe(true)
    const around = readAt(file, far - 10, 20)
    expect(around.equals(Buffer.concat([Buffer.alloc(10), Buffer.from('abc')]))).toBe(true)
  })

  it('reads zeros in a hole inside an allocated chunk, past what was written there', () => {
    const { file } = content()
    file.write(Buffer.from('x'), 0)
    file.write(Buffer.from('y'), 3 * PAGE_SIZE)
    const all = readAt(file, 0, 3 * PAGE_SIZE + 1)
    expect(all[0]).toBe(0x78)
    expect(all.subarray(1, 3 * PAGE_SIZE).equals(Buffer.alloc(3 * PAGE_SIZE - 1))).toBe(true)
    expect(all[3 * PAGE_SIZE]).toBe(0x79)
  })

  it('gives the same bytes as slices of its own memory: chunks where stored, zeros for holes, none past the end', () => {
    const { file } = content()
    // A hole of two chunks, a partial chunk, then a whole one; the file ends inside the hole after it.
    file.write(Buffer.alloc(100, 1), 2 * CHUNK_SIZE + 10)
    file.write(Buffer.alloc(CHUNK_SIZE, 2), 4 * CHUNK_SIZE)
    file.truncate(6 * CHUNK_SIZE - 7)
    for (const [position, size] of [[0, 6 * CHUNK_SIZE], [CHUNK_SIZE - 3, CHUNK_SIZE + 200], [4 * CHUNK_SIZE + 5, 2 * CHUNK_SIZE], [6 * CHUNK_SIZE, 10], [7, 0]] as const) {
      const slices = file.slices(position, size)
      // equals(): a deep comparison of 400 KiB takes vitest a second.
      expect(Buffer.concat(slices).equals(readAt(file, position, size))).toBe(true)
      // None spans two chunk ranges, and none is empty.
      for (const slice of slices) expect(slice.length).toBeGreaterThan(0)
      expect(slices.every((slice) => slice.length <= CHUNK_SIZE)).toBe(true)
    }
    // A stored chunk is handed out itself, not a copy: what the driver writes is what the file holds.
    const [whole] = file.slices(4 * CHUNK_SIZE, CHUNK_SIZE)
    file.write(Buffer.from([9]), 4 * CHUNK_SIZE)
    expect(whole![0]).toBe(9)
  })

  it('writes and reads across chunk boundaries', () => {
    const { file, cap } = content()
    const data = Buffer.from(Array.from({ length: 3 * CHUNK_SIZE }, (_, i) => i % 251))
    file.write(data, CHUNK_SIZE - 7)
    expect(readAt(file, CHUNK_SIZE - 7, data.length).equals(data)).toBe(true)
    expect(readAt(file, 0, CHUNK_SIZE - 7).equals(Buffer.alloc(CHUNK_SIZE - 7))).toBe(true)
    // The pages touched are allocated; a chunk stores its range from the start up to the last
    // byte written: here, all four whole.
    expect(file.allocatedPages).toBe(1 + 16 + 16 + 16)
    expect(cap.used).toBe(4 * CHUNK_SIZE)
  })

  it('overwrites in the middle without touching the rest', () => {
    const { file } = content()
    file.write(Buffer.alloc(200_000, 0x61), 0)
    file.write(Buffer.from('MIDDLE'), 100_000)
    expect(file.size).toBe(200_000)
    const back = readAt(file, 99_998, 10).toString()
    expect(back).toBe('aaMIDDLEaa')
  })

  it('counts the pages written, and charges the capacity for what it stores, growing by doubling within a chunk', () => {
    const { file, cap } = content()
    file.write(Buffer.alloc(10, 1), 0)
    expect(file.allocatedPages).toBe(1)
    file.write(Buffer.alloc(PAGE_SIZE, 1), 10)
    expect(file.allocatedPages).toBe(2)
    expect(cap.used).toBe(2 * PAGE_SIZE)
    file.write(Buffer.alloc(PAGE_SIZE, 1), 10 + PAGE_SIZE)
    expect(file.allocatedPages).toBe(3)
    expect(cap.used).toBe(4 * PAGE_SIZE)
    expect(readAt(file, 0, 3 * PAGE_SIZE).equals(Buffer.alloc(10 + 2 * PAGE_SIZE, 1))).toBe(true)
  })

  it('sequential 128 KiB writes allocate exactly the file size', () => {
    const { file } = content()
    const piece = Buffer.alloc(128 * 1024)
    for (let i = 0; i < 64; i++) {
      piece.fill(i)
      file.write(piece, i * piece.length)
    }
    expect(file.size).toBe(8 * MiB)
    expect(file.allocatedPages * PAGE_SIZE).toBe(8 * MiB)
    expect(readAt(file, 63 * piece.length, 4)).toEqual(Buffer.alloc(4, 63))
  })

  it('truncate shrinks, frees what lies beyond, and zeroes the cut tail when it grows again', () => {
    const { file, cap } = content()
    file.write(Buffer.alloc(3 * CHUNK_SIZE, 0x7a), 0)
    file.truncate(CHUNK_SIZE + 10)
    expect(file.size).toBe(CHUNK_SIZE + 10)
    expect(file.allocatedPages * PAGE_SIZE).toBe(CHUNK_SIZE + PAGE_SIZE)
    expect(cap.used).toBe(CHUNK_SIZE + PAGE_SIZE)
    file.truncate(3 * CHUNK_SIZE)
    expect(file.allocatedPages * PAGE_SIZE).toBe(CHUNK_SIZE + PAGE_SIZE)
    const back = readAt(file, CHUNK_SIZE, 2 * CHUNK_SIZE)
    expect(back.subarray(0, 10).equals(Buffer.alloc(10, 0x7a))).toBe(true)
    expect(back.subarray(10).equals(Buffer.alloc(2 * CHUNK_SIZE - 10))).toBe(true)
  })

  it('truncate within a page zeroes the tail in place', () => {
    const { file } = content()
    file.write(Buffer.alloc(100, 0x41), 0)
    file.truncate(50)
    file.write(Buffer.from('B'), 99)
    const back = readAt(file, 0, 100)
    expect(back.subarray(0, 50).equals(Buffer.alloc(50, 0x41))).toBe(true)
    expect(back.subarray(50, 99).equals(Buffer.alloc(49))).toBe(true)
    expect(back[99]).toBe(0x42)
  })

  it('truncate to zero frees everything; growing by truncate allocates nothing', () => {
    const { file, cap } = content()
    file.write(Buffer.alloc(300_000, 1), 0)
    file.truncate(0)
    expect(file.allocatedPages * PAGE_SIZE).toBe(0)
    expect(cap.used).toBe(0)
    file.truncate(10 * MiB)
    expect(file.size).toBe(10 * MiB)
    expect(file.allocatedPages * PAGE_SIZE).toBe(0)
    expect(readAt(file, 5 * MiB, 16).equals(Buffer.alloc(16))).toBe(true)
  })

  it('truncate of a very sparse file visits only the chunks that exist', () => {
    const { file } = content()
    file.write(Buffer.from('end'), 2 ** 40)
    file.write(Buffer.from('start'), 0)
    file.truncate(3)
    expect(file.allocatedPages * PAGE_SIZE).toBe(PAGE_SIZE)
    expect(readAt(file, 0, 10).toString()).toBe('sta')
  })

  it('fails a write that does not fit with ENOSPC and changes nothing', async () => {
    const { file, cap } = content(2 * PAGE_SIZE)
    file.write(Buffer.alloc(2 * PAGE_SIZE, 1), 0)
    await expectFsError(() => file.write(Buffer.alloc(10, 2), 2 * PAGE_SIZE - 5), 'ENOSPC')
    expect(file.size).toBe(2 * PAGE_SIZE)
    expect(file.allocatedPages * PAGE_SIZE).toBe(2 * PAGE_SIZE)
    expect(cap.used).toBe(2 * PAGE_SIZE)
    expect(readAt(file, 2 * PAGE_SIZE - 5, 5).equals(Buffer.alloc(5, 1))).toBe(true)
  })

  it('grows by exactly what is needed when doubling would not fit', () => {
    const { file, cap } = content(3 * PAGE_SIZE)
    for (let i = 0; i < 3; i++) file.write(Buffer.alloc(PAGE_SIZE, i + 1), i * PAGE_SIZE)
    expect(file.allocatedPages * PAGE_SIZE).toBe(3 * PAGE_SIZE)
    expect(cap.free).toBe(0)
    expect(readAt(file, 2 * PAGE_SIZE, 1)[0]).toBe(3)
  })

  it('refuses offsets past the largest file size with EFBIG', async () => {
    const { file } = content()
    await expectFsError(() => file.write(Buffer.from('x'), MAX_FILE_SIZE), 'EFBIG')
    await expectFsError(() => file.truncate(MAX_FILE_SIZE + 1), 'EFBIG')
    expect(file.size).toBe(0)
  })

  it('release returns all space', () => {
    const { file, cap } = content()
    file.write(Buffer.alloc(1_000_000, 3), 12345)
    file.release()
    expect(cap.used).toBe(0)
    expect(file.size).toBe(0)
  })

  it('gives back the storage of punched pages at the end of a chunk, or of a whole chunk', () => {
    const { file, cap } = content()
    file.write(Buffer.alloc(2 * CHUNK_SIZE, 1), 0)
    file.punchHole(CHUNK_SIZE / 2, 3 * CHUNK_SIZE)
    expect(file.allocatedPages).toBe(8)
    expect(cap.used).toBe(CHUNK_SIZE / 2)
    expect(readAt(file, 0, 2 * CHUNK_SIZE).equals(Buffer.concat([Buffer.alloc(CHUNK_SIZE / 2, 1), Buffer.alloc((3 * CHUNK_SIZE) / 2)]))).toBe(true)
    file.punchHole(0, CHUNK_SIZE)
    expect(file.allocatedPages).toBe(0)
    expect(cap.used).toBe(0)
    expect(file.size).toBe(2 * CHUNK_SIZE)
  })

  it('keeps pages allocated past the end (KEEP_SIZE) until a truncation to the size or below', () => {
    const { file, cap } = content()
    file.write(Buffer.from('abc'), 0)
    file.allocate(0, 2 * CHUNK_SIZE, true)
    expect(file.size).toBe(3)
    expect(file.allocatedPages).toBe(32)
    file.truncate(PAGE_SIZE)
    expect(file.allocatedPages).toBe(32)
    file.truncate(3)
    expect(file.allocatedPages).toBe(1)
    expect(cap.used).toBe(PAGE_SIZE)
    expect(readAt(file, 0, 10).toString()).toBe('abc')
  })

  it('seeks data and holes across many chunks at once', () => {
    const { file } = content()
    for (let i = 0; i < 64; i += 2) file.write(Buffer.alloc(CHUNK_SIZE, 1), i * CHUNK_SIZE)
    for (let i = 0; i < 64; i += 2) {
      expect(file.seek(i * CHUNK_SIZE + 5, false)).toBe((i + 1) * CHUNK_SIZE)
      if (i < 62) expect(file.seek((i + 1) * CHUNK_SIZE, true)).toBe((i + 2) * CHUNK_SIZE)
    }
  })
})
