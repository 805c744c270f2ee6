import { beforeAll, describe, expect, it } from 'vitest'
import { runMultipartUpload } from '../src/multipart-upload.js'
import type { S3ObjectStore } from '../src/object-store.js'
import { ReadAhead } from '../src/read-ahead.js'
import { freshBucket } from './s3-target.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const partSize = 16 * MiB

/** Bytes [start, start + length) of a made-up object: each 32-bit word holds its own offset / 4. */
function pattern(start: number, length: number): Buffer {
  const words = new Uint32Array(length / 4)
  for (let i = 0, w = start / 4; i < words.length; i++, w++) words[i] = w
  return Buffer.from(words.buffer)
}

describe('ReadAhead memory', () => {
  let store: S3ObjectStore
  beforeAll(async () => {
    store = await freshBucket({ partSize, timeoutMs: 120_000 })
    // 1 GiB made part by part, so that the test process never holds much of it.
    await runMultipartUpload(store, 'gib', GiB / partSize, (n, uploadId) => store.uploadPart('gib', uploadId, n, pattern((n - 1) * partSize, partSize)), {
      concurrency: 2,
    })
  })

  it('reading 1 GiB sequentially with the defaults grows RSS by far less than 300 MiB', async () => {
    const readAhead = new ReadAhead(store)
    const handle = readAhead.open('gib', GiB)
    const buffer = Buffer.alloc(128 * 1024)
    const baseline = process.memoryUsage.rss()
    let peak = baseline
    let mismatches = 0
    for (let at = 0; at < GiB; at += buffer.length) {
      expect(await readAhead.read(handle, buffer, at)).toBe(buffer.length)
      // Spot-check the first and last word of every read.
      if (buffer.readUInt32LE(0) !== at / 4 || buffer.readUInt32LE(buffer.length - 4) !== (at + buffer.length - 4) / 4) mismatches++
      if (at % (8 * MiB) === 0) peak = Math.max(peak, process.memoryUsage.rss())
    }
    readAhead.close(handle)
    expect(mismatches).toBe(0)
    expect(readAhead.budget.peak).toBeLessThanOrEqual(readAhead.budget.limit + buffer.length)
    expect(handle.window).toBe(64 * MiB)
    // The budget is 128 MiB: what the process gains must leave a mount well under 300 MiB.
    expect(peak - baseline).toBeLessThan(200 * MiB)
    console.log(`rss ${Math.round(baseline / MiB)} MiB before, peak +${Math.round((peak - baseline) / MiB)} MiB`)
  })
})
