import '@fusekit/core'
import { describe, expect, it, vi } from 'vitest'
import { Capacity } from '../src/capacity.js'
import { ChunkPool, IDLE_SLAB_MS } from '../src/chunk-pool.js'
import { CHUNK_SIZE, PAGE_SIZE } from '../src/chunk-pages.js'
import { FileContent } from '../src/file-content.js'
import { MiB } from './unit-helpers.js'

const SLAB = 4 * CHUNK_SIZE

describe('ChunkPool', () => {
  it('carves chunks out of a slab: distinct views of one ArrayBuffer', () => {
    const pool = new ChunkPool(CHUNK_SIZE, SLAB)
    const chunks = Array.from({ length: 4 }, () => pool.take())
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(1)
    expect(new Set(chunks.map((c) => c.byteOffset)).size).toBe(4)
    expect(chunks.every((c) => c.length === CHUNK_SIZE)).toBe(true)
    expect(pool.reservedBytes).toBe(SLAB)
    expect(pool.usedBytes).toBe(SLAB)
    const fifth = pool.take()
    expect(fifth.buffer).not.toBe(chunks[0]!.buffer)
    expect(pool.reservedBytes).toBe(2 * SLAB)
  })

  it('reuses a chunk given back', () => {
    const pool = new ChunkPool(CHUNK_SIZE, SLAB)
    const [a] = [pool.take(), pool.take()]
    pool.give(a!)
    const again = pool.take()
    expect(again.buffer).toBe(a!.buffer)
    expect(again.byteOffset).toBe(a!.byteOffset)
    expect(pool.reservedBytes).toBe(SLAB)
  })

  it('takes from the fullest slab, so that others drain', () => {
    const pool = new ChunkPool(CHUNK_SIZE, SLAB)
    const first = Array.from({ length: 4 }, () => pool.take())
    const second = Array.from({ length: 4 }, () => pool.take())
    pool.give(first[0]!)
    pool.give(first[1]!)
    pool.give(second[0]!)
    expect(pool.take().buffer).toBe(second[0]!.buffer)
    expect(pool.take().buffer).toBe(first[0]!.buffer)
  })

  it('keeps empty slabs for a rewrite, and drops all but the idle limit once empty for IDLE_SLAB_MS', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    try {
      const pool = new ChunkPool(CHUNK_SIZE, SLAB, 1)
      const chunks = Array.from({ length: 3 * 4 }, () => pool.take())
      for (const chunk of chunks) pool.give(chunk)
      expect([pool.usedBytes, pool.reservedBytes]).toEqual([0, 3 * SLAB])
      // Taken again at once: the same slabs, no new memory.
      const again = Array.from({ length: 3 * 4 }, () => pool.take())
      expect(new Set(again.map((c) => c.buffer))).toEqual(new Set(chunks.map((c) => c.buffer)))
      // Two slabs empty again; the third keeps chunks.
      for (const chunk of again.slice(0, 8)) pool.give(chunk)
      vi.advanceTimersByTime(IDLE_SLAB_MS - 1)
      expect(pool.reservedBytes).toBe(3 * SLAB)
      // Empty for IDLE_SLAB_MS: one of the two goes, the other is the one kept for good.
      vi.advanceTimersByTime(1)
      expect(pool.reservedBytes).toBe(2 * SLAB)
      // The third empties later: the slab kept is the one emptied last.
      const last = again[8]!.buffer
      for (const chunk of again.slice(8)) pool.give(chunk)
      vi.advanceTimersByTime(2 * IDLE_SLAB_MS)
      expect([pool.usedBytes, pool.reservedBytes]).toEqual([0, SLAB])
      expect(pool.take().buffer).toBe(last)
    } finally {
      vi.useRealTimers()
    }
  })

  it('refuses a chunk given twice or not its own', () => {
    const pool = new ChunkPool(CHUNK_SIZE, SLAB)
    const chunk = pool.take()
    pool.take()
    pool.give(chunk)
    expect(() => pool.give(chunk)).toThrow()
    expect(() => pool.give(Buffer.alloc(CHUNK_SIZE))).toThrow()
    expect(() => new ChunkPool(CHUNK_SIZE, CHUNK_SIZE + 1)).toThrow(RangeError)
  })
})

describe('FileContent over a shared ChunkPool', () => {
  function mount(capacity = 64 * MiB) {
    const cap = new Capacity(capacity)
    const pool = new ChunkPool(CHUNK_SIZE, SLAB)
    return { cap, pool, file: () => new FileContent({ capacity: cap, pool }) }
  }

  function readAt(file: FileContent, position: number, length: number): Buffer {
    const buffer = Buffer.alloc(length, 0xee)
    return buffer.subarray(0, file.read(buffer, position))
  }

  it("never shows another file's old bytes: a reused chunk's holes read as zeros", () => {
    const { pool, file } = mount()
    const old = file()
    old.write(Buffer.alloc(4 * CHUNK_SIZE, 0xab), 0)
    old.release()
    expect(pool.usedBytes).toBe(0)

    const next = file()
    // One byte at the end of each chunk: the chunk is taken whole, the rest of it is a hole.
    for (let i = 0; i < 4; i++) next.write(Buffer.from([i + 1]), (i + 1) * CHUNK_SIZE - 1)
    expect(pool.usedBytes).toBe(4 * CHUNK_SIZE)
    const back = readAt(next, 0, 4 * CHUNK_SIZE)
    for (let i = 0; i < 4; i++) {
      const chunk = back.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)
      expect(chunk.subarray(0, CHUNK_SIZE - 1).equals(Buffer.alloc(CHUNK_SIZE - 1))).toBe(true)
      expect(chunk[CHUNK_SIZE - 1]).toBe(i + 1)
    }
  })

  it('zeroes a reused chunk past a write in its middle and past a grown small chunk', () => {
    const { file } = mount()
    const old = file()
    old.write(Buffer.alloc(2 * CHUNK_SIZE, 0xcd), 0)
    old.release()

    const next = file()
    next.write(Buffer.from('x'), 10)
    next.write(Buffer.alloc(PAGE_SIZE, 0x11), CHUNK_SIZE / 2)
    next.write(Buffer.from('z'), CHUNK_SIZE + 100)
    next.truncate(3 * CHUNK_SIZE)
    const back = readAt(next, 0, 3 * CHUNK_SIZE)
    const expected = Buffer.alloc(3 * CHUNK_SIZE)
    expected[10] = 0x78
    expected.fill(0x11, CHUNK_SIZE / 2, CHUNK_SIZE / 2 + PAGE_SIZE)
    expected[CHUNK_SIZE + 100] = 0x7a
    expect(back.equals(expected)).toBe(true)
  })

  it('gives chunks back on truncate and unlink, and charges files, not slabs', () => {
    const { cap, pool, file } = mount()
    const f = file()
    f.write(Buffer.alloc(3 * CHUNK_SIZE, 1), 0)
    expect(cap.used).toBe(3 * CHUNK_SIZE)
    expect(pool.usedBytes).toBe(3 * CHUNK_SIZE)
    expect(pool.reservedBytes).toBe(SLAB)

    // Cutting into the second chunk replaces it by a small one of its own.
    f.truncate(CHUNK_SIZE + 10)
    expect(cap.used).toBe(CHUNK_SIZE + PAGE_SIZE)
    expect(pool.usedBytes).toBe(CHUNK_SIZE)
    expect(readAt(f, CHUNK_SIZE, 20).equals(Buffer.concat([Buffer.alloc(10, 1)]))).toBe(true)

    f.release()
    expect(cap.used).toBe(0)
    expect(pool.usedBytes).toBe(0)
  })

  it('keeps small files out of the slabs', () => {
    const { cap, pool, file } = mount()
    const small = file()
    small.write(Buffer.alloc(PAGE_SIZE, 7), 0)
    expect(cap.used).toBe(PAGE_SIZE)
    expect(pool.reservedBytes).toBe(0)
  })
})
