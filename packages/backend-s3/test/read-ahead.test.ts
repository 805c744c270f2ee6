import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { DiskPieces } from '../src/disk-pieces.js'
import { MemoryBudget } from '../src/memory-budget.js'
import type { GetOptions, S3ObjectStore } from '../src/object-store.js'
import { ReadAhead, type RangeSource } from '../src/read-ahead.js'
import { freshBucket } from './s3-target.js'
import type { ResidentData } from '@fusekit/core'

const KiB = 1024
const MiB = 1024 * KiB

/** The store, with each GET's range written down. */
class RecordingSource implements RangeSource {
  readonly ranges: Array<[number, number]> = []
  constructor(private readonly store: S3ObjectStore) {}
  get(key: string, options: GetOptions): Promise<Buffer> {
    this.ranges.push([options.start ?? 0, options.end ?? Infinity])
    return this.store.get(key, options)
  }
  get bytes(): number {
    return this.ranges.reduce((sum, [start, end]) => sum + end - start, 0)
  }
}

/** A driver's ResidentData that keeps what is held, by handle and offset (bytes in memory, or where in which file). */
class HeldRanges implements ResidentData {
  readonly held = new Map<string, Buffer | { length: number; fd: number }>()
  constructor(readonly available = true) {}
  hold(fh: number, offset: number, bytes: Buffer, fileSize: number): void {
    expect(this.available).toBe(true)
    this.held.set(`${fh}@${offset}/${fileSize}`, bytes)
  }
  holdFile(fh: number, offset: number, length: number, fd: number, fileSize: number): void {
    expect(this.available).toBe(true)
    this.held.set(`${fh}@${offset}/${fileSize}`, { length, fd })
  }
  release(fh: number, offset: number): void {
    for (const key of this.held.keys()) if (key.startsWith(`${fh}@${offset}/`)) this.held.delete(key)
  }
  forget(): void {
    throw new Error('the backend leaves forgetting a handle to the driver')
  }
}

describe('ReadAhead', () => {
  let store: S3ObjectStore
  let data: Buffer
  let etag: string
  beforeAll(async () => {
    store = await freshBucket({ partSize: 8 * MiB })
    data = randomBytes(24 * MiB)
    await store.upload('obj', data)
    etag = (await store.head('obj'))!.etag
  })

  async function readSequentially(readAhead: ReadAhead, handle: ReturnType<ReadAhead['open']>, from: number, to: number, size: number, onRead?: () => void) {
    const out = Buffer.alloc(to - from)
    for (let at = from; at < to; at += size) {
      const n = await readAhead.read(handle, out.subarray(at - from, Math.min(to, at + size) - from), at)
      expect(n).toBe(Math.min(to, at + size) - at)
      onRead?.()
    }
    return out
  }

  it('detects a sequential reader and grows its window up to the maximum', async () => {
    const source = new RecordingSource(store)
    const readAhead = new ReadAhead(source, { initialWindow: MiB, maxWindow: 8 * MiB, requestSize: 2 * MiB, minRead: 128 * KiB, budget: new MemoryBudget(32 * MiB) })
    const handle = readAhead.open('obj', data.length, etag)
    const windows: number[] = []
    let furthestAhead = 0
    let position = 0
    const out = await readSequentially(readAhead, handle, 0, data.length, 128 * KiB, () => {
      position += 128 * KiB
      windows.push(handle.window)
      const requested = Math.max(...source.ranges.map(([, end]) => end))
      furthestAhead = Math.max(furthestAhead, Math.min(requested, data.length) - position)
    })
    expect(out.equals(data)).toBe(true)
    // The first read (at offset 0) fetches what it reads and reads ahead at once: the window grows 1, 2, 4, 8 MiB.
    expect(source.ranges[0]).toEqual([0, 128 * KiB])
    expect(source.ranges[1]).toEqual([128 * KiB, 128 * KiB + MiB])
    expect([...new Set(windows)]).toEqual([2 * MiB, 4 * MiB, 8 * MiB])
    expect(furthestAhead).toBeGreaterThan(4 * MiB)
    // Each byte fetched once, in few requests, none larger than requestSize.
    expect(source.bytes).toBe(data.length)
    expect(source.ranges.length).toBeLessThan(25)
    expect(Math.max(...source.ranges.map(([s, e]) => e - s))).toBe(2 * MiB)
    readAhead.close(handle)
    expect(readAhead.budget.used).toBe(0)
  })

  it('fetches into buffers given back when their chunk is dropped: sequential reads of the object need far fewer buffers than GETs', async () => {
    const buffers = new Set<ArrayBufferLike>()
    let gets = 0
    const source: RangeSource = {
      get: (key, options) => {
        gets++
        buffers.add(options.into!.buffer)
        return store.get(key, options)
      },
    }
    const budget = new MemoryBudget(16 * MiB)
    const readAhead = new ReadAhead(source, { initialWindow: MiB, maxWindow: 4 * MiB, requestSize: MiB, minRead: 128 * KiB, budget })
    for (let pass = 0; pass < 2; pass++) {
      const handle = readAhead.open('obj', data.length, etag)
      expect((await readSequentially(readAhead, handle, 0, data.length, 128 * KiB)).equals(data)).toBe(true)
      readAhead.close(handle)
    }
    expect(gets).toBeGreaterThanOrEqual(48)
    expect(buffers.size).toBeLessThanOrEqual(gets / 4)
    // Idle, they wait for the next reader, within the budget.
    expect(readAhead.buffers.held).toBeGreaterThan(0)
    expect(readAhead.buffers.held + budget.used).toBeLessThanOrEqual(budget.limit)
  })

  it('random reads fetch the aligned piece of minRead around what they read, nothing ahead', async () => {
    const source = new RecordingSource(store)
    const readAhead = new ReadAhead(source, { minRead: 16 * KiB, maxPiece: 16 * KiB })
    const handle = readAhead.open('obj', data.length, etag)
    const offsets = Array.from({ length: 40 }, (_, i) => ((i + 1) * 7919 * 61) % (data.length - 8 * KiB))
    for (const offset of offsets) {
      const out = Buffer.alloc(4 * KiB)
      expect(await readAhead.read(handle, out, offset)).toBe(4 * KiB)
      expect(out.equals(data.subarray(offset, offset + 4 * KiB))).toBe(true)
      expect(handle.window).toBe(MiB)
    }
    const piece = (o: number) => o - (o % (16 * KiB))
    expect(source.ranges).toEqual(offsets.map((o) => [piece(o), Math.max(piece(o) + 16 * KiB, o + 4 * KiB)]))
    // A read at the end of the object asks for nothing past it.
    const tail = Buffer.alloc(4 * KiB)
    expect(await readAhead.read(handle, tail, data.length - 1000)).toBe(1000)
    expect(source.ranges.at(-1)).toEqual([data.length - 16 * KiB, data.length])
    expect(await readAhead.read(handle, tail, data.length)).toBe(0)
    readAhead.close(handle)
  })

  it('a random reader whose misses come in a fast run gets pieces doubling up to maxPiece; a sparse one keeps minRead', async () => {
    const offsets = Array.from({ length: 40 }, (_, i) => ((i + 1) * 7919 * 61) % (data.length - 8 * KiB))
    const readAll = async (readAhead: ReadAhead, between?: () => void) => {
      const handle = readAhead.open('obj', data.length, etag)
      const out = Buffer.alloc(4 * KiB)
      for (const offset of offsets) {
        between?.()
        expect(await readAhead.read(handle, out, offset)).toBe(4 * KiB)
        expect(out.equals(data.subarray(offset, offset + 4 * KiB))).toBe(true)
      }
      readAhead.close(handle)
    }
    const dense = new RecordingSource(store)
    await readAll(new ReadAhead(dense, { minRead: 64 * KiB, maxPiece: 512 * KiB, budget: new MemoryBudget(16 * MiB) }))
    // The piece each GET was for (a read across a piece's end fetches up to the read's end too).
    const pieces = (source: RecordingSource) => source.ranges.map(([start, end]) => (end - start) - ((end - start) % (64 * KiB)))
    const sizes = pieces(dense)
    expect(sizes.slice(0, 8)).toEqual(Array(8).fill(64 * KiB))
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b))
    expect(sizes.at(-1)).toBe(512 * KiB)
    // Each piece aligned to its size.
    dense.ranges.forEach(([start], i) => expect(start % sizes[i]!).toBe(0))

    vi.useFakeTimers({ toFake: ['performance'] })
    try {
      const sparse = new RecordingSource(store)
      await readAll(new ReadAhead(sparse, { minRead: 64 * KiB, maxPiece: 512 * KiB, budget: new MemoryBudget(16 * MiB) }), () => vi.advanceTimersByTime(1500))
      expect(pieces(sparse)).toEqual(Array(offsets.length).fill(64 * KiB))
    } finally {
      vi.useRealTimers()
    }
  })

  it('answers at once, with no Promise, a read of bytes that have arrived; one that needs bytes still on their way waits', async () => {
    const readAhead = new ReadAhead(new RecordingSource(store), { minRead: 64 * KiB })
    const handle = readAhead.open('obj', data.length, etag)
    const at = 5 * MiB + 100
    const first = Buffer.alloc(4 * KiB)
    const fetching = readAhead.read(handle, first, at)
    expect(fetching).toBeInstanceOf(Promise)
    expect(await fetching).toBe(4 * KiB)
    // The same piece again, and other spots of it: numbers, right bytes, and no signal made (a
    // RequestContext makes its signal on first use, which costs more than such a read).
    let signalsAsked = 0
    const caller = {
      get signal() {
        signalsAsked++
        return undefined
      },
    }
    for (const offset of [at, at + 8 * KiB, at - 100]) {
      const out = Buffer.alloc(4 * KiB)
      expect(readAhead.read(handle, out, offset, caller)).toBe(4 * KiB)
      expect(out.equals(data.subarray(offset, offset + 4 * KiB))).toBe(true)
    }
    expect(signalsAsked).toBe(0)
    // Past the piece that arrived: a fetch, so a Promise, with the right bytes once it is in.
    const beyond = Buffer.alloc(8 * KiB)
    const edge = 5 * MiB + 64 * KiB - 4 * KiB
    const waiting = readAhead.read(handle, beyond, edge, caller)
    expect(waiting).toBeInstanceOf(Promise)
    expect(signalsAsked).toBeGreaterThan(0)
    expect(await waiting).toBe(8 * KiB)
    expect(beyond.equals(data.subarray(edge, edge + 8 * KiB))).toBe(true)
    // Across the two pieces, both arrived: at once again.
    expect(readAhead.read(handle, beyond.fill(0), edge)).toBe(8 * KiB)
    expect(beyond.equals(data.subarray(edge, edge + 8 * KiB))).toBe(true)
    readAhead.close(handle)
  })

  it('a random reader keeps what it read in half the budget: a range read again costs no request; the least recently used goes first', async () => {
    const source = new RecordingSource(store)
    const budget = new MemoryBudget(MiB)
    const readAhead = new ReadAhead(source, { minRead: 128 * KiB, budget })
    const handle = readAhead.open('obj', data.length, etag)
    const read = async (offset: number) => {
      const out = Buffer.alloc(4 * KiB)
      expect(await readAhead.read(handle, out, offset)).toBe(4 * KiB)
      expect(out.equals(data.subarray(offset, offset + 4 * KiB))).toBe(true)
    }
    // Four ranges of 128 KiB fill half the budget; reading them again asks nothing.
    const offsets = [3, 11, 17, 5].map((n) => n * MiB)
    for (const offset of offsets) await read(offset)
    for (const offset of offsets) await read(offset + 64 * KiB)
    expect(source.ranges).toHaveLength(4)
    expect(budget.used).toBe(512 * KiB)
    // A fifth pushes out the one used longest ago (3 MiB), not the others.
    await read(7 * MiB)
    expect(budget.used).toBeLessThanOrEqual(512 * KiB)
    await read(11 * MiB)
    expect(source.ranges).toHaveLength(5)
    await read(3 * MiB)
    expect(source.ranges).toHaveLength(6)
    readAhead.close(handle)
    expect(budget.used).toBe(0)
  })

  it("a random reader's pieces survive short runs of reads that follow each other (fio's random map ends its passes so)", async () => {
    const source = new RecordingSource(store)
    const readAhead = new ReadAhead(source, { minRead: 128 * KiB, budget: new MemoryBudget(16 * MiB) })
    const handle = readAhead.open('obj', data.length, etag)
    const out = Buffer.alloc(4 * KiB)
    const read = async (offset: number) => {
      expect(await readAhead.read(handle, out, offset)).toBe(4 * KiB)
      expect(out.equals(data.subarray(offset, offset + 4 * KiB))).toBe(true)
    }
    // Eight random pieces, then a run of consecutive 4 KiB reads from the last one onwards.
    const offsets = [1, 6, 2, 7, 3, 5, 4, 0].map((n) => n * MiB + 256 * KiB)
    for (const offset of offsets) await read(offset)
    for (let i = 1; i <= 8; i++) await read(offsets[7]! + i * 4 * KiB)
    const fetched = source.ranges.length
    // Back to the random pieces: all still held, no request.
    for (const offset of offsets) await read(offset + 8 * KiB)
    expect(source.ranges).toHaveLength(fetched)
    readAhead.close(handle)
  })

  it('a seek resets the window and drops what was fetched ahead', async () => {
    const source = new RecordingSource(store)
    const readAhead = new ReadAhead(source, { initialWindow: MiB, maxWindow: 16 * MiB, minRead: 64 * KiB })
    const handle = readAhead.open('obj', data.length, etag)
    await readSequentially(readAhead, handle, 0, 3 * MiB, 128 * KiB)
    expect(handle.window).toBeGreaterThan(MiB)
    expect(readAhead.budget.used).toBeGreaterThan(MiB)
    const before = source.ranges.length
    const out = Buffer.alloc(4 * KiB)
    await readAhead.read(handle, out, 20 * MiB)
    expect(out.equals(data.subarray(20 * MiB, 20 * MiB + 4 * KiB))).toBe(true)
    expect(source.ranges.slice(before)).toEqual([[20 * MiB, 20 * MiB + 64 * KiB]])
    expect(handle.window).toBe(MiB)
    expect(readAhead.budget.used).toBe(64 * KiB)
    // Sequential again from there: read-ahead starts over from the initial window.
    await readSequentially(readAhead, handle, 20 * MiB + 4 * KiB, 21 * MiB, 128 * KiB)
    expect(out.equals(data.subarray(20 * MiB, 20 * MiB + 4 * KiB))).toBe(true)
    readAhead.close(handle)
  })

  it('holds no more than the shared budget (plus the reads in progress) for parallel readers', async () => {
    const budget = new MemoryBudget(6 * MiB)
    const readAhead = new ReadAhead(store, { initialWindow: MiB, maxWindow: 8 * MiB, requestSize: MiB, budget })
    const handles = [0, 1, 2].map(() => readAhead.open('obj', data.length, etag))
    const outs = handles.map(() => Buffer.alloc(12 * MiB))
    for (let at = 0; at < 12 * MiB; at += 128 * KiB) {
      await Promise.all(handles.map((h, i) => readAhead.read(h, outs[i]!.subarray(at, at + 128 * KiB), at)))
      expect(budget.used).toBeLessThanOrEqual(6 * MiB + 3 * 512 * KiB)
    }
    for (const out of outs) expect(out.equals(data.subarray(0, 12 * MiB))).toBe(true)
    // The reads waited for (one minRead each at most) may pass the budget, read-ahead never.
    expect(budget.peak).toBeLessThanOrEqual(6 * MiB + 3 * 512 * KiB)
    expect(budget.peak).toBeGreaterThan(4 * MiB)
    handles.forEach((h) => readAhead.close(h))
    expect(budget.used).toBe(0)
  })

  it('a read-ahead that failed is fetched again for the reader', async () => {
    // Every request ahead of the reader (past the read in progress) fails once.
    const failedOnce = new Set<number>()
    let readingTo = 0
    const flaky: RangeSource = {
      get: (key, options) => {
        const start = options.start ?? 0
        if (start >= readingTo && !failedOnce.has(start)) {
          failedOnce.add(start)
          return Promise.reject(Object.assign(new Error('injected'), { code: 'EIO' }))
        }
        return store.get(key, options)
      },
    }
    const readAhead = new ReadAhead(flaky, { initialWindow: MiB, maxWindow: 4 * MiB, requestSize: MiB })
    const handle = readAhead.open('obj', data.length, etag)
    const out = Buffer.alloc(8 * MiB)
    for (let at = 0; at < out.length; at += 128 * KiB) {
      readingTo = at + 128 * KiB
      expect(await readAhead.read(handle, out.subarray(at, at + 128 * KiB), at)).toBe(128 * KiB)
    }
    expect(out.equals(data.subarray(0, 8 * MiB))).toBe(true)
    expect(failedOnce.size).toBeGreaterThan(2)
    readAhead.close(handle)
  })

  it('a read that fails on its own fetch gets that error at once (no second attempt past the deadline)', async () => {
    let calls = 0
    const failing: RangeSource = {
      get: () => {
        calls++
        return Promise.reject(Object.assign(new Error('injected'), { code: 'ETIMEDOUT' }))
      },
    }
    const readAhead = new ReadAhead(failing)
    const handle = readAhead.open('obj', data.length, etag)
    await expect(readAhead.read(handle, Buffer.alloc(4 * KiB), 10 * MiB)).rejects.toMatchObject({ code: 'ETIMEDOUT' })
    expect(calls).toBe(1)
    readAhead.close(handle)
  })

  it('reads of one handle in parallel and out of order (as the kernel sends them) all succeed, whatever one drops for another', async () => {
    const readAhead = new ReadAhead(store)
    const handle = readAhead.open('obj', data.length, etag)
    const read = async (offset: number, length: number) => {
      const out = Buffer.alloc(length)
      expect(await readAhead.read(handle, out, offset)).toBe(length)
      return out.equals(data.subarray(offset, offset + length))
    }
    expect(await read(0, 128 * KiB)).toBe(true)
    expect(await read(128 * KiB, 128 * KiB)).toBe(true)
    // The jump drops the sequential reader's chunks, the one its read waits for among them.
    expect(await Promise.all([read(256 * KiB, 128 * KiB), read(20 * MiB, 4 * KiB), read(384 * KiB, 128 * KiB)])).toEqual([true, true, true])
    readAhead.close(handle)
  })

  it('hundreds of reads in parallel on four handles, with a budget too small to keep them all, give the right bytes', async () => {
    const readAhead = new ReadAhead(store, { budget: new MemoryBudget(4 * MiB) })
    const handles = [0, 1, 2, 3].map(() => readAhead.open('obj', data.length, etag))
    let seed = 7
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % below
    }
    const reads = Array.from({ length: 200 }, () => [random(data.length), 1 + random(300_000)] as const)
    const wrong = await Promise.all(
      reads.map(async ([offset, length], i) => {
        const out = Buffer.alloc(length)
        const n = await readAhead.read(handles[i % 4]!, out, offset)
        const expected = data.subarray(offset, offset + length)
        return n === expected.length && out.subarray(0, n).equals(expected) ? 0 : 1
      }),
    )
    expect(wrong.reduce((a: number, b: number) => a + b, 0)).toBe(0)
    handles.forEach((h) => readAhead.close(h))
    expect(readAhead.budget.used).toBe(0)
  })

  it("the caller's abort ends a read with EINTR", async () => {
    const readAhead = new ReadAhead(store)
    const handle = readAhead.open('obj', data.length, etag)
    await expect(readAhead.read(handle, Buffer.alloc(4096), 5 * MiB, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'EINTR' })
    readAhead.close(handle)
    expect(readAhead.budget.used).toBe(0)
  })

  it('holds what arrived for the kernel handle in ResidentData, and releases it when dropped or closed', async () => {
    const resident = new HeldRanges()
    const readAhead = new ReadAhead(store, { minRead: 128 * KiB, budget: new MemoryBudget(MiB), resident })
    const handle = readAhead.open('obj', data.length, etag, 7)
    const out = Buffer.alloc(4 * KiB)
    for (const offset of [3 * MiB, 9 * MiB + 200 * KiB]) {
      await readAhead.read(handle, out, offset)
      expect(out.equals(data.subarray(offset, offset + 4 * KiB))).toBe(true)
    }
    expect([...resident.held.keys()].sort()).toEqual([`7@${3 * MiB}/${data.length}`, `7@${9 * MiB + 128 * KiB}/${data.length}`])
    // What is held is what a read of it answers.
    expect((resident.held.get(`7@${3 * MiB}/${data.length}`) as Buffer).equals(data.subarray(3 * MiB, 3 * MiB + 128 * KiB))).toBe(true)
    // A sequential reader that jumps leaves what it fetched ahead: released before its memory is reused.
    await readSequentially(readAhead, handle, 12 * MiB, 14 * MiB, 128 * KiB)
    await Promise.all(handle.fetched.chunks.map((c) => c.data))
    const heldBefore = [...resident.held.keys()]
    await readAhead.read(handle, out, 20 * MiB)
    expect(heldBefore.filter((key) => !resident.held.has(key)).length).toBeGreaterThan(0)
    const chunkKeys = new Set(handle.fetched.chunks.filter((c) => c.arrived).map((c) => `7@${c.start}/${data.length}`))
    expect([...resident.held.keys()].every((key) => chunkKeys.has(key))).toBe(true)
    readAhead.close(handle)
    expect(resident.held.size).toBe(0)
  })

  it("readers of one version share what was fetched, held for each one's kernel handle, until the last of them closes", async () => {
    const resident = new HeldRanges()
    const source = new RecordingSource(store)
    const readAhead = new ReadAhead(source, { minRead: 128 * KiB, budget: new MemoryBudget(4 * MiB), resident })
    const first = readAhead.open('obj', data.length, etag, 7)
    const out = Buffer.alloc(4 * KiB)
    await readAhead.read(first, out, 3 * MiB)
    expect(source.ranges).toEqual([[3 * MiB, 3 * MiB + 128 * KiB]])
    // A second handle (another descriptor, another process): what arrived is held for it at once.
    const second = readAhead.open('obj', data.length, etag, 8)
    expect([...resident.held.keys()].sort()).toEqual([`7@${3 * MiB}/${data.length}`, `8@${3 * MiB}/${data.length}`])
    expect(await readAhead.read(second, out, 3 * MiB + 8 * KiB)).toBe(4 * KiB)
    expect(out.equals(data.subarray(3 * MiB + 8 * KiB, 3 * MiB + 12 * KiB))).toBe(true)
    expect(source.ranges).toHaveLength(1)
    // The first one closes: its kernel handle's bytes are released, the piece stays for the second.
    readAhead.close(first)
    expect([...resident.held.keys()]).toEqual([`8@${3 * MiB}/${data.length}`])
    await readAhead.read(second, out, 3 * MiB + 64 * KiB)
    expect(source.ranges).toHaveLength(1)
    readAhead.close(second)
    expect(resident.held.size).toBe(0)
    expect(readAhead.budget.used).toBe(0)
    // With the last reader gone, a new one fetches again.
    const third = readAhead.open('obj', data.length, etag, 9)
    await readAhead.read(third, out, 3 * MiB)
    expect(source.ranges).toHaveLength(2)
    readAhead.close(third)
  })

  it('two sequential readers of one version, one a little behind the other, fetch it about once', async () => {
    const size = 16 * MiB
    const piece = 128 * KiB
    const fetchedBy = async (lag: number | undefined) => {
      const source = new RecordingSource(store)
      const readAhead = new ReadAhead(source, { budget: new MemoryBudget(32 * MiB) })
      const readers = lag === undefined ? [0] : [0, lag]
      const handles = readers.map(() => readAhead.open('obj', data.length, etag))
      const outs = handles.map(() => Buffer.alloc(size))
      // In turns, each `lag` bytes behind the one before.
      for (let at = 0; at < size + (lag ?? 0); at += piece) {
        for (const [i, behind] of readers.entries()) {
          const position = at - behind
          if (position < 0 || position >= size) continue
          expect(await readAhead.read(handles[i]!, outs[i]!.subarray(position, position + piece), position)).toBe(piece)
        }
      }
      for (const out of outs) expect(out.equals(data.subarray(0, size))).toBe(true)
      for (const handle of handles) readAhead.close(handle)
      expect(readAhead.budget.used).toBe(0)
      return source.bytes
    }
    const alone = await fetchedBy(undefined)
    for (const lag of [0, 3 * MiB]) expect(await fetchedBy(lag)).toBeLessThanOrEqual(alone + MiB)
  })

  it('a random reader finds again on disk the pieces the budget evicted, with no GET; they go with the last reader', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-pieces-'))
    try {
      const disk = new DiskPieces(dir, 64 * MiB, 128 * KiB)
      const source = new RecordingSource(store)
      const resident = new HeldRanges()
      // Half of a 1 MiB budget keeps 4 pieces of 128 KiB in memory; the reader goes through 32.
      const readAhead = new ReadAhead(source, { minRead: 128 * KiB, maxPiece: 128 * KiB, budget: new MemoryBudget(MiB), disk, resident })
      const handle = readAhead.open('obj', data.length, etag, 7)
      const offsets = Array.from({ length: 32 }, (_, i) => ((i * 13) % 32) * 512 * KiB + 8 * KiB)
      const out = Buffer.alloc(4 * KiB)
      const pass = async (shift: number) => {
        for (const offset of offsets) {
          expect(await readAhead.read(handle, out, offset + shift)).toBe(4 * KiB)
          expect(out.equals(data.subarray(offset + shift, offset + shift + 4 * KiB))).toBe(true)
        }
      }
      await pass(0)
      expect(source.ranges).toHaveLength(32)
      expect(disk.used).toBeGreaterThanOrEqual(27 * 128 * KiB)
      // The driver answers from the file what left memory, and from memory the rest: each piece once.
      const onDisk = [...resident.held.values()].filter((v) => !Buffer.isBuffer(v))
      expect(onDisk.length).toBe(disk.used / (128 * KiB))
      expect(resident.held.size).toBe(32)
      // A second reader is offered all of it at once.
      const second = readAhead.open('obj', data.length, etag, 8)
      expect([...resident.held.keys()].filter((key) => key.startsWith('8@'))).toHaveLength(32)
      readAhead.close(second)
      await pass(64 * KiB)
      // The four pieces still in memory, or on disk: none fetched again.
      expect(source.ranges).toHaveLength(32)
      readAhead.close(handle)
      expect(resident.held.size).toBe(0)
      expect(disk.used).toBe(0)
      expect(readAhead.budget.used).toBe(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('holds nothing for a handle without a kernel handle, or where the driver cannot answer reads', async () => {
    for (const [resident, fh] of [[new HeldRanges(), 0], [new HeldRanges(false), 7]] as const) {
      const readAhead = new ReadAhead(store, { minRead: 128 * KiB, resident })
      const handle = readAhead.open('obj', data.length, etag, fh)
      await readAhead.read(handle, Buffer.alloc(4 * KiB), 2 * MiB)
      expect(resident.held.size).toBe(0)
      readAhead.close(handle)
    }
  })

  it('an object changed since it was opened: ESTALE', async () => {
    await store.put('changing', randomBytes(100 * KiB))
    const head = (await store.head('changing'))!
    const readAhead = new ReadAhead(store)
    const handle = readAhead.open('changing', head.size, head.etag)
    await store.put('changing', randomBytes(10 * KiB))
    await expect(readAhead.read(handle, Buffer.alloc(4096), 50 * KiB)).rejects.toMatchObject({ code: 'ESTALE' })
    readAhead.close(handle)
  })
})
