import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { WriteStaging, type FlushProgress } from '../src/write-staging.js'
import { FaultProxy } from './fault-proxy.js'
import { freshBucket, s3Target, storeFor } from './s3-target.js'

const KiB = 1024
const MiB = 1024 * KiB
const meta = { mode: '33188' }

describe('WriteStaging', () => {
  let store: S3ObjectStore
  let cacheDir: string
  const stagings: WriteStaging[] = []
  beforeAll(async () => {
    store = await freshBucket({ partSize: 5 * MiB, uploadConcurrency: 3 })
    cacheDir = join(await mkdtemp(join(tmpdir(), 'fusekit-s3-staging-')), 'cache')
  })
  afterEach(async () => {
    await Promise.all(stagings.splice(0).map((s) => s.destroy()))
  })
  afterAll(async () => {
    await rm(join(cacheDir, '..'), { recursive: true, force: true })
  })

  async function staging(options: Partial<Parameters<typeof WriteStaging.create>[1]> = {}, over = store) {
    const made = await WriteStaging.create(over, { cacheDir, blockSize: 64 * KiB, ...options })
    stagings.push(made)
    return made
  }

  async function existing(key: string, size: number): Promise<Buffer> {
    const data = randomBytes(size)
    await store.upload(key, data, { metadata: meta })
    return data
  }

  async function readAll(s: WriteStaging, file: Parameters<WriteStaging['read']>[0]): Promise<Buffer> {
    const out = Buffer.alloc(file.size)
    let done = 0
    while (done < out.length) done += await s.read(file, out.subarray(done, done + 300 * KiB), done)
    return out
  }

  it('makes its cache directory 0700', async () => {
    await staging()
    expect((await stat(cacheDir)).mode & 0o777).toBe(0o700)
  })

  it('creates a new file: writes, reads back, uploads with its metadata, frees the data', async () => {
    const s = await staging()
    const file = await s.open('new/a', { metadata: meta, contentType: 'text/plain' })
    expect(s.dirtyFiles().map((d) => d.key)).toEqual(['new/a'])
    const data = randomBytes(200 * KiB)
    await s.write(file, data.subarray(0, 100 * KiB), 0)
    await s.write(file, data.subarray(100 * KiB), 100 * KiB)
    expect((await readAll(s, file)).equals(data)).toBe(true)
    expect(s.usedBytes).toBe(4 * 64 * KiB)
    await s.flush(file)
    expect(s.dirtyFiles()).toEqual([])
    expect(s.usedBytes).toBe(0)
    expect((await store.get('new/a')).equals(data)).toBe(true)
    const head = await store.head('new/a')
    expect(head!.metadata).toEqual(meta)
    expect(head!.contentType).toBe('text/plain')
    // Still open, now backed by the uploaded object.
    expect((await readAll(s, file)).equals(data)).toBe(true)
    await s.close(file)
    expect(s.get('new/a')).toBeUndefined()
  })

  it('a small new file stays in memory until it grows past memoryFileBytes, then goes to disk with its bytes', async () => {
    const s = await staging({ memoryFileBytes: 256 * KiB })
    const stagingFiles = async () => readdir(s.stagingDirectory)
    const file = await s.open('memory/a', { metadata: meta })
    const head = randomBytes(100 * KiB)
    await s.write(file, head, 0)
    expect(file.path).toBeUndefined()
    expect(await stagingFiles()).toEqual([])
    const tail = randomBytes(200 * KiB)
    await s.write(file, tail, 300 * KiB)
    expect(file.path).toBeDefined()
    expect(await stagingFiles()).toHaveLength(1)
    const expected = Buffer.concat([head, Buffer.alloc(200 * KiB), tail])
    expect((await readAll(s, file)).equals(expected)).toBe(true)
    await s.flush(file)
    expect((await store.get('memory/a')).equals(expected)).toBe(true)
    await s.close(file)
    expect(await stagingFiles()).toEqual([])

    // Uploaded from memory, never on disk.
    const small = await s.open('memory/small', { metadata: meta })
    await s.write(small, Buffer.from('small'), 0)
    await s.truncate(small, 10)
    await s.flush(small)
    await s.close(small)
    expect(small.path).toBeUndefined()
    expect((await store.get('memory/small')).equals(Buffer.from('small\0\0\0\0\0'))).toBe(true)
  })

  it('two opens of one key at once share one staged file', async () => {
    const s = await staging()
    const [one, two] = await Promise.all([s.open('shared/a', { metadata: meta }), s.open('shared/a', { metadata: meta })])
    expect(one).toBe(two)
    expect(one.openCount).toBe(2)
    await s.write(one, Buffer.from('x'), 0)
    await s.close(one)
    await s.flush(two)
    await s.close(two)
    expect(s.get('shared/a')).toBeUndefined()
    expect((await store.get('shared/a')).toString()).toBe('x')
  })

  it('uploads an empty new file', async () => {
    const s = await staging()
    const file = await s.open('new/empty', { metadata: meta })
    await s.flush(file)
    await s.close(file)
    expect((await store.head('new/empty'))!.size).toBe(0)
  })

  it('writes into an existing object: fetches only the edge block it covers partly', async () => {
    const original = await existing('rw/small', 3 * MiB)
    const s = await staging()
    const head = (await store.head('rw/small'))!
    const file = await s.open('rw/small', { base: { size: head.size, etag: head.etag }, metadata: meta })
    store.stats.reset()
    const patch = Buffer.from('patched!')
    await s.write(file, patch, MiB + 5)
    expect(store.stats.calls).toEqual({ GET: 1 })
    expect(store.stats.bytesReceived).toBe(64 * KiB)
    // A whole block written needs nothing from the object.
    await s.write(file, Buffer.alloc(64 * KiB, 7), 2 * MiB)
    expect(store.stats.calls).toEqual({ GET: 1 })
    const expected = Buffer.from(original)
    patch.copy(expected, MiB + 5)
    expected.fill(7, 2 * MiB, 2 * MiB + 64 * KiB)
    // Reading fetches the rest; the upload (below the part size: one PUT) then needs nothing more.
    expect((await readAll(s, file)).equals(expected)).toBe(true)
    store.stats.reset()
    await s.flush(file)
    expect(store.stats.calls).toEqual({ PUT: 1 })
    expect((await store.get('rw/small')).equals(expected)).toBe(true)
    await s.close(file)
  })

  it('uploads a large object: untouched parts copied by the server, only the touched part downloaded', async () => {
    const original = await existing('rw/large', 12 * MiB + 100)
    const s = await staging()
    const head = (await store.head('rw/large'))!
    const file = await s.open('rw/large', { base: { size: head.size, etag: head.etag }, metadata: meta })
    await s.write(file, Buffer.from('middle'), 7 * MiB)
    store.stats.reset()
    await s.flush(file)
    // Parts of 5 MiB: [0,5) and [10,12+) copied; [5,10) fetched (minus the block already local) and sent.
    expect(store.stats.calls['UPLOAD-PART-COPY']).toBe(2)
    expect(store.stats.calls['UPLOAD-PART']).toBe(1)
    expect(store.stats.bytesReceived).toBe(5 * MiB - 64 * KiB)
    const expected = Buffer.from(original)
    Buffer.from('middle').copy(expected, 7 * MiB)
    expect((await store.get('rw/large')).equals(expected)).toBe(true)
    expect((await store.head('rw/large'))!.metadata).toEqual(meta)
    await s.close(file)
  })

  it('appends to an existing object', async () => {
    const original = await existing('rw/append', 100 * KiB + 3)
    const s = await staging()
    const file = await s.open('rw/append', { base: { size: original.length }, metadata: meta })
    const tail = randomBytes(150 * KiB)
    await s.write(file, tail, file.size)
    expect(file.size).toBe(original.length + tail.length)
    await s.flush(file)
    await s.close(file)
    expect((await store.get('rw/append')).equals(Buffer.concat([original, tail]))).toBe(true)
  })

  it('truncates: shrinks, grows with zeros, writes past a hole', async () => {
    const original = await existing('rw/trunc', 300 * KiB)
    const s = await staging()
    const file = await s.open('rw/trunc', { base: { size: original.length }, metadata: meta })
    await s.truncate(file, 100 * KiB + 1)
    await s.truncate(file, 200 * KiB)
    await s.write(file, Buffer.from('end'), 400 * KiB)
    const expected = Buffer.alloc(400 * KiB + 3)
    original.copy(expected, 0, 0, 100 * KiB + 1)
    expected.write('end', 400 * KiB)
    expect((await readAll(s, file)).equals(expected)).toBe(true)
    await s.flush(file)
    expect((await store.get('rw/trunc')).equals(expected)).toBe(true)
    await s.truncate(file, 0)
    await s.flush(file)
    expect((await store.head('rw/trunc'))!.size).toBe(0)
    await s.close(file)
  })

  /** Waits until the store has begun `count` part uploads (eager uploads run in the background). */
  async function partsBegun(count: number): Promise<void> {
    const deadline = Date.now() + 20_000
    while ((store.stats.calls['UPLOAD-PART'] ?? 0) < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  /** Runs `use` with a fault proxy in front of the gateway and a store of the bucket through it. */
  async function throughProxy(options: Parameters<typeof storeFor>[1], use: (proxy: FaultProxy, viaProxy: S3ObjectStore) => Promise<void>): Promise<void> {
    const proxy = await FaultProxy.start(s3Target.endpoint)
    const viaProxy = storeFor(store.bucket, { ...options, endpoint: proxy.endpoint })
    try {
      await use(proxy, viaProxy)
    } finally {
      viaProxy.destroy()
      await proxy.close()
    }
  }

  /** Waits until `count` part uploads through `proxy` have succeeded. */
  async function partsSentThrough(proxy: FaultProxy, count: number): Promise<void> {
    const sent = () => proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=') && r.status === 200).length
    const deadline = Date.now() + 20_000
    while (sent() < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  }

  /** A new file of `size` random bytes written 1 MiB at a time from its start, the store's counts reset first. */
  async function writtenInOrder(s: WriteStaging, key: string, size: number) {
    const file = await s.open(key, { metadata: meta })
    const data = randomBytes(size)
    store.stats.reset()
    for (let at = 0; at < data.length; at += MiB) await s.write(file, data.subarray(at, at + MiB), at)
    return { file, data }
  }

  it('a new file written from its start sends its parts while it is written; the flush sends the last and completes', async () => {
    const s = await staging()
    const { file, data } = await writtenInOrder(s, 'eager/sequential', 17 * MiB)
    // Parts of 5 MiB: the writer is past the first three.
    await partsBegun(3)
    expect(store.stats.calls).toMatchObject({ 'CREATE-MULTIPART': 1, 'UPLOAD-PART': 3 })
    await s.flush(file)
    expect(store.stats.calls).toEqual({ 'CREATE-MULTIPART': 1, 'UPLOAD-PART': 4, 'COMPLETE-MULTIPART': 1 })
    expect((await store.get('eager/sequential')).equals(data)).toBe(true)
    expect((await store.head('eager/sequential'))!.metadata).toEqual(meta)
    await s.close(file)
  })

  it('a flush while parts still wait for a free upload slot sends each part once', async () => {
    const s = await staging()
    // Eight parts behind the writer, three sent at a time: five wait when the flush comes.
    const { file, data } = await writtenInOrder(s, 'eager/queued', 41 * MiB)
    await s.flush(file)
    expect(store.stats.calls).toEqual({ 'CREATE-MULTIPART': 1, 'UPLOAD-PART': 9, 'COMPLETE-MULTIPART': 1 })
    expect((await store.get('eager/queued')).equals(data)).toBe(true)
    await s.close(file)
  })

  it('a part written again after it was sent is sent again; a truncate cuts the parts; a chmod meanwhile is put right by a copy', async () => {
    // On disk from the start: its sent parts stay local (a streamed file's would not).
    const s = await staging({ memoryFileBytes: 0 })
    const { file, data } = await writtenInOrder(s, 'eager/rewritten', 23 * MiB)
    await partsBegun(4)
    // Part 1 written again; the file cut inside part 4 (its sent copy is too long now).
    const patch = Buffer.alloc(1000, 9)
    await s.write(file, patch, MiB + 7)
    patch.copy(data, MiB + 7)
    await s.truncate(file, 19 * MiB)
    s.setMetadata(file, { mode: '33152' })
    await s.flush(file)
    expect(store.stats.calls).toMatchObject({ 'CREATE-MULTIPART': 1, 'UPLOAD-PART': 6, 'COMPLETE-MULTIPART': 1, COPY: 1 })
    expect((await store.get('eager/rewritten')).equals(data.subarray(0, 19 * MiB))).toBe(true)
    expect((await store.head('eager/rewritten'))!.metadata).toEqual({ mode: '33152' })
    await s.close(file)
  })

  it('a new file written from its start streams: a few parts in reused buffers, none on disk, each let go once sent', async () => {
    const s = await staging()
    const { file, data } = await writtenInOrder(s, 'stream/sequential', 41 * MiB)
    // Parts of 5 MiB, three sent at a time: at most five held (three being sent, two being written).
    expect(s.usedBytes).toBeLessThanOrEqual(5 * 5 * MiB)
    expect(await readdir(s.stagingDirectory)).toEqual([])
    await s.flush(file)
    expect(store.stats.calls).toEqual({ 'CREATE-MULTIPART': 1, 'UPLOAD-PART': 9, 'COMPLETE-MULTIPART': 1 })
    expect(s.usedBytes).toBe(0)
    expect((await store.get('stream/sequential')).equals(data)).toBe(true)
    // Still open, read back from the object.
    expect((await readAll(s, file)).equals(data)).toBe(true)
    await s.close(file)
  })

  it('a streamed file whose sent parts are needed again (a read, a rewrite, a truncate) completes its upload first, then goes on as an object being changed', async () => {
    const s = await staging()
    const { file, data } = await writtenInOrder(s, 'stream/reread', 23 * MiB)
    await partsBegun(4)
    const reread = Buffer.alloc(1000)
    // Part 0 is only in the upload now: the read completes it, and fetches it back.
    expect(await s.read(file, reread, 7)).toBe(1000)
    expect(reread.equals(data.subarray(7, 1007))).toBe(true)
    expect(store.stats.calls['COMPLETE-MULTIPART']).toBe(1)
    expect((await store.get('stream/reread')).equals(data)).toBe(true)
    // A rewrite and a truncate change that object; appends go on.
    const patch = Buffer.alloc(1000, 9)
    await s.write(file, patch, MiB + 7)
    patch.copy(data, MiB + 7)
    await s.truncate(file, 19 * MiB)
    const tail = randomBytes(2 * MiB)
    await s.write(file, tail, 19 * MiB)
    const expected = Buffer.concat([data.subarray(0, 19 * MiB), tail])
    expect((await readAll(s, file)).equals(expected)).toBe(true)
    await s.flush(file)
    expect((await store.get('stream/reread')).equals(expected)).toBe(true)
    await s.close(file)
  })

  it('a streamed file keeps its parts while the upload cannot be completed, and completes it at a later flush', async () => {
    await throughProxy({ partSize: 5 * MiB, uploadConcurrency: 3, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }, async (proxy, viaProxy) => {
      const s = await staging({}, viaProxy)
      const file = await s.open('stream/outage', { metadata: meta })
      const data = randomBytes(17 * MiB)
      for (let at = 0; at < data.length; at += MiB) await s.write(file, data.subarray(at, at + MiB), at)
      // The parts behind the writer are sent (and let go) before S3 goes away.
      await partsSentThrough(proxy, 3)
      proxy.faults.reset = true
      await expect(s.flush(file)).rejects.toMatchObject({ code: 'EIO' })
      await expect(s.read(file, Buffer.alloc(10), 0)).rejects.toMatchObject({ code: 'EIO' })
      expect(s.dirtyFiles().map((d) => d.key)).toEqual(['stream/outage'])
      proxy.faults.reset = false
      await s.flush(file)
      expect((await store.get('stream/outage')).equals(data)).toBe(true)
      await s.close(file)
    })
  })

  it('a streamed file that still cannot be uploaded at shutdown is kept: its held parts on disk, and which parts its unfinished upload has', async () => {
    await throughProxy({ partSize: 5 * MiB, uploadConcurrency: 3, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }, async (proxy, viaProxy) => {
      const s = await WriteStaging.create(viaProxy, { cacheDir, blockSize: 64 * KiB })
      const file = await s.open('stream/kept', { metadata: meta })
      const data = randomBytes(17 * MiB)
      for (let at = 0; at < data.length; at += MiB) await s.write(file, data.subarray(at, at + MiB), at)
      await partsSentThrough(proxy, 3)
      proxy.faults.reset = true
      expect(await s.flushAll()).toEqual(['stream/kept'])
      const kept = await s.destroy({ keepDirty: true })
      const entry = kept.get('stream/kept')!
      expect(entry.unfinishedUpload).toMatchObject({ uploadId: expect.stringMatching(/.+/), parts: [1, 2, 3] })
      const local = await readFile(entry.path)
      expect(local.subarray(15 * MiB).equals(data.subarray(15 * MiB))).toBe(true)
      await rm(entry.path, { force: true })
    })
  })

  it('a streamed file whose parts are not sent in time goes on on disk', async () => {
    await throughProxy({ partSize: 5 * MiB, uploadConcurrency: 3 }, async (proxy, viaProxy) => {
      // Every part's upload takes 1.5 s: the writer fills its five parts long before.
      proxy.faults.delay = (method, url) => (method === 'PUT' && url.includes('partNumber=') ? 1500 : 0)
      const s = await staging({}, viaProxy)
      const file = await s.open('stream/slow', { metadata: meta })
      const data = randomBytes(31 * MiB)
      for (let at = 0; at < data.length; at += MiB) await s.write(file, data.subarray(at, at + MiB), at)
      expect(await readdir(s.stagingDirectory)).toHaveLength(1)
      expect(file.path).toBeDefined()
      proxy.faults.delay = () => 0
      await s.flush(file)
      expect((await store.get('stream/slow')).equals(data)).toBe(true)
      await s.close(file)
    })
  })

  it('a part written again while its first upload is under way is sent again only once that one ended (the server keeps the copy that ends last)', async () => {
    await throughProxy({ partSize: 5 * MiB, uploadConcurrency: 3 }, async (proxy, viaProxy) => {
      // The first upload of part 2 is slow.
      let held = false
      proxy.faults.delay = (method, url) => (method === 'PUT' && url.includes('partNumber=2&') && !held ? ((held = true), 400) : 0)
      const s = await staging({}, viaProxy)
      const file = await s.open('eager/slow-part', { metadata: meta })
      const data = randomBytes(12 * MiB)
      for (let at = 0; at < data.length; at += MiB) await s.write(file, data.subarray(at, at + MiB), at)
      const patch = Buffer.alloc(1000, 9)
      await s.write(file, patch, 6 * MiB)
      patch.copy(data, 6 * MiB)
      await s.flush(file)
      const partTwo = proxy.forwarded.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=2&'))
      expect(partTwo).toHaveLength(2)
      // The second copy set out only after the first had its answer.
      expect(partTwo[0]!.answered ?? Infinity).toBeLessThan(partTwo[1]!.arrived)
      expect((await store.get('eager/slow-part')).equals(data)).toBe(true)
      await s.close(file)
    })
  })

  it('a failed upload keeps the staged data; a later flush uploads it', async () => {
    await throughProxy({ retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } }, async (proxy, viaProxy) => {
      const s = await staging({}, viaProxy)
      const file = await s.open('fail/a', { metadata: meta })
      const data = randomBytes(100 * KiB)
      await s.write(file, data, 0)
      proxy.faults.reset = true
      await expect(s.flush(file)).rejects.toMatchObject({ code: 'EIO' })
      await s.close(file)
      expect(s.dirtyFiles()).toMatchObject([{ key: 'fail/a', size: data.length, localBytes: 2 * 64 * KiB, uploading: false }])
      expect(await store.head('fail/a')).toBeUndefined()
      proxy.faults.reset = false
      const failed = await s.flushAll()
      expect(failed).toEqual([])
      expect(s.dirtyFiles()).toEqual([])
      expect((await store.get('fail/a')).equals(data)).toBe(true)
      // Closed and clean: gone from the staging directory.
      expect(s.get('fail/a')).toBeUndefined()
      expect(await readdir(join(cacheDir, (await readdir(cacheDir)).find((d) => d.startsWith('staging-'))!))).toEqual([])
    })
  })

  it('a write during an upload leaves the file dirty; the next flush sends the final bytes', async () => {
    const s = await staging()
    const file = await s.open('race/a', { metadata: meta })
    await s.write(file, Buffer.alloc(3 * MiB, 1), 0)
    const upload = s.flush(file)
    // The upload has begun (its PUT streams from the staging file) when this write lands.
    await s.write(file, Buffer.from('late'), 10)
    await upload
    // The flush promised what came before it; the late write waits for the next one.
    expect(s.dirtyFiles().map((d) => d.key)).toEqual(['race/a'])
    expect(s.usedBytes).toBeGreaterThan(0)
    await s.flush(file)
    expect(s.dirtyFiles()).toEqual([])
    const expected = Buffer.alloc(3 * MiB, 1)
    expected.write('late', 10)
    expect((await store.get('race/a')).equals(expected)).toBe(true)
    await s.close(file)
  })

  it("an upload interrupted by the caller's signal keeps the data (EINTR)", async () => {
    const s = await staging()
    const file = await s.open('race/interrupted', { metadata: meta })
    await s.write(file, randomBytes(12 * MiB), 0)
    const controller = new AbortController()
    const upload = s.flush(file, controller.signal)
    setTimeout(() => controller.abort(), 20)
    await expect(upload).rejects.toMatchObject({ code: 'EINTR' })
    expect(s.dirtyFiles()).toMatchObject([{ key: 'race/interrupted', size: 12 * MiB }])
    expect(await store.head('race/interrupted')).toBeUndefined()
    await s.flush(file)
    expect((await store.head('race/interrupted'))!.size).toBe(12 * MiB)
    await s.close(file)
  })

  it('discard drops staged data without uploading; rekey sends it to the new key', async () => {
    const s = await staging()
    const dropped = await s.open('moves/dropped', { metadata: meta })
    await s.write(dropped, Buffer.from('never sent'), 0)
    await s.discard(dropped)
    expect(s.dirtyFiles()).toEqual([])
    expect(s.usedBytes).toBe(0)
    expect(await store.head('moves/dropped')).toBeUndefined()

    const original = await existing('moves/from', 200 * KiB)
    const moved = await s.open('moves/from', { base: { size: original.length }, metadata: meta })
    await s.write(moved, Buffer.from('X'), 0)
    await store.copy('moves/from', 'moves/to')
    await store.delete('moves/from')
    s.rekey(moved, 'moves/to')
    expect(s.get('moves/from')).toBeUndefined()
    await s.flush(moved)
    await s.close(moved)
    const expected = Buffer.from(original)
    expected.write('X', 0)
    expect((await store.get('moves/to')).equals(expected)).toBe(true)
    expect(await store.head('moves/from')).toBeUndefined()
  })

  it('flushAll uploads every dirty file with progress', async () => {
    const s = await staging()
    const sizes = [10 * KiB, 300 * KiB, 6 * MiB]
    const datas = sizes.map((size) => randomBytes(size))
    for (const [i, data] of datas.entries()) {
      const file = await s.open(`all/${i}`, { metadata: meta })
      await s.write(file, data, 0)
      await s.close(file)
    }
    expect(s.dirtyFiles().map((d) => [d.key, d.size])).toEqual(sizes.map((size, i) => [`all/${i}`, size]))
    const progress: FlushProgress[] = []
    expect(await s.flushAll((p) => progress.push(p))).toEqual([])
    expect(progress.map((p) => [p.filesDone, p.filesTotal, p.bytesDone])).toEqual([
      [1, 3, sizes[0]],
      [2, 3, sizes[0]! + sizes[1]!],
      [3, 3, sizes[0]! + sizes[1]! + sizes[2]!],
    ])
    for (const [i, data] of datas.entries()) expect((await store.get(`all/${i}`)).equals(data)).toBe(true)
    expect(s.usedBytes).toBe(0)
  })

  it('past maxDirtyBytes a write first uploads the oldest dirty file', async () => {
    const s = await staging({ maxDirtyBytes: MiB })
    const a = await s.open('room/a', { metadata: meta })
    const b = await s.open('room/b', { metadata: meta })
    const dataA = randomBytes(768 * KiB)
    const dataB = randomBytes(512 * KiB)
    await s.write(a, dataA, 0)
    expect(await store.head('room/a')).toBeUndefined()
    await s.write(b, dataB, 0)
    expect((await store.get('room/a')).equals(dataA)).toBe(true)
    expect(s.dirtyFiles().map((d) => d.key)).toEqual(['room/b'])
    expect(s.usedBytes).toBeLessThanOrEqual(MiB)
    await s.flush(b)
    expect((await store.get('room/b')).equals(dataB)).toBe(true)
  })

  it('a single sequential writer larger than maxDirtyBytes goes through in uploads', async () => {
    const s = await staging({ maxDirtyBytes: MiB })
    const file = await s.open('room/big', { metadata: meta })
    const data = randomBytes(3 * MiB + 5)
    for (let done = 0; done < data.length; done += 128 * KiB) {
      await s.write(file, data.subarray(done, done + 128 * KiB), done)
      expect(s.usedBytes).toBeLessThanOrEqual(MiB)
    }
    await s.flush(file)
    expect((await store.get('room/big')).equals(data)).toBe(true)
  })

  it('ENOSPC when no upload can free room before the deadline, the staged data kept', async () => {
    await throughProxy({ retry: { maxAttempts: 1 } }, async (proxy, viaProxy) => {
      proxy.faults.reset = true
      const s = await staging({ maxDirtyBytes: 512 * KiB, dirtyWaitMs: 400 }, viaProxy)
      const a = await s.open('full/a', { metadata: meta })
      await s.write(a, randomBytes(448 * KiB), 0)
      const started = performance.now()
      await expect(s.write(a, randomBytes(128 * KiB), 448 * KiB)).rejects.toMatchObject({ code: 'ENOSPC' })
      expect(performance.now() - started).toBeGreaterThanOrEqual(350)
      expect(s.dirtyFiles()).toMatchObject([{ key: 'full/a', size: 448 * KiB }])
      proxy.faults.reset = false
      await s.flush(a)
      expect((await store.head('full/a'))!.size).toBe(448 * KiB)
    })
  })
})
