import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { FaultProxy } from './fault-proxy.js'
import { freshBucket, s3Target, storeFor } from './s3-target.js'

async function keysOf(store: S3ObjectStore, prefix = ''): Promise<string[]> {
  const keys: string[] = []
  for await (const page of store.list(prefix)) keys.push(...page.objects.map((o) => o.key))
  return keys.sort()
}

describe('deletions acknowledged at once, sent in batches (deleteSoon)', () => {
  let store: S3ObjectStore
  /** A second view of the bucket, as another client sees it. */
  let other: S3ObjectStore
  beforeAll(async () => {
    store = await freshBucket()
    other = storeFor(store.bucket)
  })
  afterAll(() => other.destroy())

  it('a deleted key is gone for the store at once and in S3 after a few batches, not one request per key', async () => {
    const keys = Array.from({ length: 2500 }, (_, i) => `many/${String(i).padStart(4, '0')}`)
    for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => store.put(key, Buffer.from(key))))
    store.stats.reset()
    for (const key of keys) store.deleteSoon(key)
    expect(await store.head(keys[0]!)).toBeUndefined()
    await expect(store.get(keys[1]!)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(store.copy(keys[2]!, 'elsewhere')).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await keysOf(store, 'many/')).toEqual([])
    await store.settleDeletes('many/')
    expect(store.deletes.pending).toBe(0)
    expect(await keysOf(other, 'many/')).toEqual([])
    expect(store.stats.calls.DELETE ?? 0).toBe(0)
    // Batches of at most 100 keys: 25 requests at the least, and far fewer than one per key.
    expect(store.stats.calls['DELETE-MANY']).toBeGreaterThanOrEqual(25)
    expect(store.stats.calls['DELETE-MANY']).toBeLessThanOrEqual(125)
    expect(store.stats.calls.HEAD ?? 0).toBe(0)
  })

  it('a key written again right after its deletion keeps the new object (the deletion goes first)', async () => {
    await store.put('again', Buffer.from('old'))
    store.deleteSoon('again')
    await store.put('again', Buffer.from('new'))
    expect(store.deletes.has('again')).toBe(false)
    // Long after any batch: the new object is there.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await other.get('again')).toString()).toBe('new')

    await store.put('copied', Buffer.from('source'))
    await store.put('target', Buffer.from('old target'))
    store.deleteSoon('target')
    await store.copy('copied', 'target')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await other.get('target')).toString()).toBe('source')
  })

  it('batches that fail are sent again; a write waiting for one reports its error; nothing is lost', async () => {
    const proxy = await FaultProxy.start(s3Target.endpoint)
    const viaProxy = storeFor(store.bucket, { endpoint: proxy.endpoint, timeoutMs: 1500, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20 } })
    try {
      await viaProxy.put('faulty/a', Buffer.from('a'))
      await viaProxy.put('faulty/b', Buffer.from('b'))
      proxy.faults.failRate = 1
      viaProxy.deleteSoon('faulty/a')
      viaProxy.deleteSoon('faulty/b')
      // Every request fails: a write to the key cannot go ahead of its deletion.
      await expect(viaProxy.put('faulty/a', Buffer.from('new'))).rejects.toMatchObject({ code: 'EIO' })
      expect(viaProxy.deletes.has('faulty/a')).toBe(true)
      expect(await keysOf(other, 'faulty/')).toEqual(['faulty/a', 'faulty/b'])
      // The server answers again: the retried batch deletes both.
      proxy.faults.failRate = 0
      await viaProxy.settleDeletes('faulty/')
      expect(await keysOf(other, 'faulty/')).toEqual([])
    } finally {
      viaProxy.destroy()
      await proxy.close()
    }
  })
})
