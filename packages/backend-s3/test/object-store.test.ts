import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FsError } from '@fusekit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { freshBucket, storeFor } from './s3-target.js'

const MiB = 1024 * 1024

async function collect(store: S3ObjectStore, prefix: string, options: Parameters<S3ObjectStore['list']>[1] = {}) {
  const pages = []
  for await (const page of store.list(prefix, options)) pages.push(page)
  return pages
}

async function inParallel<T>(items: T[], limit: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await run(items[next++]!)
  }))
}

describe('S3ObjectStore', () => {
  let store: S3ObjectStore
  let scratch: string
  beforeAll(async () => {
    store = await freshBucket({ partSize: 5 * MiB, uploadConcurrency: 3 })
    scratch = await mkdtemp(join(tmpdir(), 'fusekit-s3-store-'))
  })
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true })
  })

  it('puts, heads and gets an object with its metadata', async () => {
    const data = randomBytes(1000)
    const etag = await store.put('a/b.bin', data, { metadata: { mode: '33188', uid: '1000' }, contentType: 'application/x-test' })
    const head = await store.head('a/b.bin')
    expect(head).toMatchObject({ key: 'a/b.bin', size: 1000, etag, contentType: 'application/x-test' })
    expect(head!.metadata).toEqual({ mode: '33188', uid: '1000' })
    expect((await store.get('a/b.bin')).equals(data)).toBe(true)
  })

  it('reads ranges, clipped at the end, empty from the end on', async () => {
    const data = randomBytes(4096)
    await store.put('range', data)
    expect((await store.get('range', { start: 100, end: 200 })).equals(data.subarray(100, 200))).toBe(true)
    expect((await store.get('range', { start: 4000, end: 5000 })).equals(data.subarray(4000))).toBe(true)
    expect(await store.get('range', { start: 4096, end: 5000 })).toHaveLength(0)
    expect(await store.get('range', { start: 9000 })).toHaveLength(0)
    await store.put('empty', Buffer.alloc(0))
    expect(await store.get('empty', { start: 0, end: 10 })).toHaveLength(0)
  })

  it('answers a missing key with undefined (head) and ENOENT (get)', async () => {
    expect(await store.head('no/such/key')).toBeUndefined()
    await expect(store.get('no/such/key')).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(store.get('no/such/key')).rejects.toBeInstanceOf(FsError)
  })

  it('streams a file with its length and uploads it in parallel parts above the part size', async () => {
    const size = 13 * MiB + 12345
    const data = randomBytes(size)
    const path = join(scratch, 'big')
    await writeFile(path, data)
    store.stats.reset()
    await store.upload('big', { path, start: 0, length: size }, { metadata: { mode: '33188' } })
    // 5 MiB parts: three of them, one creation and one completion.
    expect(store.stats.calls).toMatchObject({ 'CREATE-MULTIPART': 1, 'UPLOAD-PART': 3, 'COMPLETE-MULTIPART': 1 })
    expect(store.stats.calls.PUT).toBeUndefined()
    const head = await store.head('big')
    expect(head!.size).toBe(size)
    expect(head!.etag).toMatch(/-3"$/)
    expect(head!.metadata).toEqual({ mode: '33188' })
    // Reads across the part boundaries at 5 and 10 MiB.
    for (const [start, end] of [[5 * MiB - 10, 5 * MiB + 10], [4 * MiB, 11 * MiB], [size - 100, size]] as const) {
      expect((await store.get('big', { start, end })).equals(data.subarray(start, end))).toBe(true)
    }
    expect((await store.get('big')).equals(data)).toBe(true)
  })

  it('uploads a file range below the part size with one PUT', async () => {
    const path = join(scratch, 'small')
    await writeFile(path, Buffer.from('0123456789'))
    store.stats.reset()
    await store.upload('small', { path, start: 2, length: 5 })
    expect(store.stats.calls).toEqual({ PUT: 1 })
    expect((await store.get('small')).toString()).toBe('23456')
  })

  it('copies with the source metadata, or replaces it (also onto itself)', async () => {
    await store.put('src', Buffer.from('hello'), { metadata: { mode: '33188', mtime: '1700000000' } })
    await store.copy('src', 'copy-kept')
    expect((await store.head('copy-kept'))!.metadata).toEqual({ mode: '33188', mtime: '1700000000' })
    await store.copy('src', 'copy-replaced', { metadata: { mode: '33261' }, contentType: 'text/plain' })
    const replaced = await store.head('copy-replaced')
    expect(replaced!.metadata).toEqual({ mode: '33261' })
    expect(replaced!.contentType).toBe('text/plain')
    await store.copy('src', 'src', { metadata: { mode: '33152', mtime: '1700000001' } })
    expect((await store.head('src'))!.metadata).toEqual({ mode: '33152', mtime: '1700000001' })
    expect((await store.get('src')).toString()).toBe('hello')
    await expect(store.copy('missing', 'x')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('copies keys with spaces, plus signs and non-ASCII names', async () => {
    const key = 'dir with space/a+b ü %.txt'
    await store.put(key, Buffer.from('odd'))
    await store.copy(key, `${key}.copy`, { size: 3 })
    expect((await store.get(`${key}.copy`)).toString()).toBe('odd')
    const listed = []
    for await (const page of store.list('dir with space/')) listed.push(...page.objects.map((o) => o.key))
    expect(listed).toEqual([key, `${key}.copy`])
  })

  it('copies part by part (UploadPartCopy) above the copy threshold', async () => {
    const parted = storeFor(store.bucket, { copyPartThreshold: 8 * MiB, copyPartSize: 5 * MiB })
    try {
      const data = randomBytes(12 * MiB + 7)
      await parted.upload('to-copy', data, { metadata: { mode: '33188' } })
      parted.stats.reset()
      await parted.copy('to-copy', 'copied', { metadata: { mode: '33261' } })
      expect(parted.stats.calls['UPLOAD-PART-COPY']).toBe(3)
      expect(parted.stats.calls.COPY).toBeUndefined()
      const head = await parted.head('copied')
      expect(head!.metadata).toEqual({ mode: '33261' })
      expect((await parted.get('copied')).equals(data)).toBe(true)
      // Without new metadata the source's comes along.
      await parted.copy('to-copy', 'copied-kept')
      expect((await parted.head('copied-kept'))!.metadata).toEqual({ mode: '33188' })
    } finally {
      parted.destroy()
    }
  })

  it('deletes one key and many keys', async () => {
    await Promise.all(['d/1', 'd/2', 'd/3'].map((key) => store.put(key, Buffer.from(key))))
    await store.delete('d/1')
    await store.delete('d/1')
    expect(await store.head('d/1')).toBeUndefined()
    expect(await store.deleteMany(['d/2', 'd/3', 'd/never'])).toEqual([])
    expect((await collect(store, 'd/')).flatMap((p) => p.objects)).toEqual([])
  })

  it('lists with a delimiter: files and common prefixes', async () => {
    await Promise.all(['t/x', 't/y/', 't/y/z', 't/w/deep/q'].map((key) => store.put(key, Buffer.alloc(0))))
    const pages = await collect(store, 't/', { delimiter: '/' })
    expect(pages.flatMap((p) => p.objects.map((o) => o.key))).toEqual(['t/x'])
    expect(pages.flatMap((p) => p.prefixes)).toEqual(['t/w/', 't/y/'])
  })

  it('pages past 1,000 keys', async () => {
    const keys = Array.from({ length: 1010 }, (_, i) => `many/${String(i).padStart(5, '0')}`)
    await inParallel(keys, 16, (key) => store.put(key, Buffer.from(key)))
    store.stats.reset()
    const pages = await collect(store, 'many/')
    expect(store.stats.calls.LIST).toBe(2)
    expect(pages.map((p) => p.objects.length)).toEqual([1000, 10])
    expect(pages.flatMap((p) => p.objects.map((o) => o.key))).toEqual(keys)
    const small = await collect(store, 'many/', { pageSize: 300, startAfter: 'many/00999' })
    expect(small.flatMap((p) => p.objects.map((o) => o.key))).toEqual(keys.slice(1000))
  })

  it('aborts a multipart upload', async () => {
    const uploadId = await store.createMultipartUpload('aborted')
    await store.uploadPart('aborted', uploadId, 1, randomBytes(1000))
    await store.abortMultipartUpload('aborted', uploadId)
    // The upload is gone (RGW answers a completion of it with HTTP 500; a part shows it plainly).
    await expect(store.uploadPart('aborted', uploadId, 2, randomBytes(10))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await store.head('aborted')).toBeUndefined()
  })

  it('answers a missing bucket with ENOENT saying so', async () => {
    const nowhere = storeFor('fusekit-no-such-bucket')
    try {
      await expect(collect(nowhere, '')).rejects.toThrow(/ENOENT: LIST : the bucket does not exist/)
      await expect(nowhere.get('x')).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      nowhere.destroy()
    }
  })
})
