import { execFile } from 'node:child_process'
import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { eventually, expectErrno, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { FaultProxy, type SeenRequest } from './fault-proxy.js'
import { mountBucket } from './s3-mounts.js'
import { freshBucket, s3Target } from './s3-target.js'

// Short caches: a version written by another client is looked up again within a second or two.
const shortCaches = ['--stat-ttl', '1', '--list-ttl', '1', '--negative-ttl', '1', '--attr-timeout', '1', '--entry-timeout', '1', '--negative-timeout', '1']

async function keysOf(store: S3ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const page of store.list(prefix)) keys.push(...page.objects.map((o) => o.key))
  return keys.sort()
}

/** The requests the mount made (through the counting proxy) while `run` ran. */
async function requestsDuring(proxy: FaultProxy, run: () => Promise<unknown>): Promise<SeenRequest[]> {
  const before = proxy.requests.length
  await run()
  return proxy.requests.slice(before)
}

describe('what tools cost in requests: rm -rf, reading back what was written', () => {
  let store: S3ObjectStore
  let proxy: FaultProxy
  /** With the default caches, and with short ones (for what another client writes). */
  let mount: MountProcess
  let shortMount: MountProcess
  beforeAll(async () => {
    store = await freshBucket()
    // Forwards everything: it only counts the requests.
    proxy = await FaultProxy.start(s3Target.endpoint)
    mount = await mountBucket(store.bucket, [], proxy.endpoint)
    shortMount = await mountBucket(store.bucket, shortCaches, proxy.endpoint)
  })
  afterAll(async () => {
    expect(await mount.stop()).toBe(0)
    expect(await shortMount.stop()).toBe(0)
    await proxy.close()
  })

  it('rm -rf of 300 files sends a few batched deletions, not a DELETE per file; the keys leave S3 and the directory is gone', async () => {
    const dir = join(mount.dir, 'many')
    await mkdir(dir)
    for (let i = 0; i < 300; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => writeFile(join(dir, `file-${i + j}`), `${i + j}`)))
    expect(await keysOf(store, 'many/')).toHaveLength(301)

    // Not execFileSync: the proxy answers in this process.
    const seen = await requestsDuring(proxy, () => promisify(execFile)('rm', ['-rf', dir]))
    await expectErrno(stat(dir), 'ENOENT')
    const deletes = seen.filter((r) => r.method === 'DELETE')
    const batches = seen.filter((r) => r.method === 'POST' && r.url.includes('delete'))
    // One DELETE: the directory's marker, by rmdir.
    expect(deletes.map((r) => r.url)).toEqual([`/${store.bucket}/many/`])
    expect(batches.length).toBeGreaterThanOrEqual(3)
    // Well under one per file even when rm runs slowly (a busy machine makes smaller batches).
    expect(batches.length).toBeLessThanOrEqual(100)
    expect(seen.filter((r) => r.method === 'HEAD')).toEqual([])
    await eventually(async () => expect(await keysOf(store, 'many/')).toEqual([]), 10_000)
  })

  it('a name unlinked and made again at once keeps the new file in S3', async () => {
    const path = join(mount.dir, 'again.txt')
    await writeFile(path, 'old')
    await unlink(path)
    await writeFile(path, 'new')
    // Long after the deletion's batch: it went before the new object, not after.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect((await store.get('again.txt')).toString()).toBe('new')
    expect(await readFile(path, 'utf8')).toBe('new')
  })

  it('a small file read back after it was written costs no GET; a version another client writes is read from S3', async () => {
    const path = join(shortMount.dir, 'small.txt')
    const seen = await requestsDuring(proxy, async () => {
      await writeFile(path, 'written here')
      expect(await readFile(path, 'utf8')).toBe('written here')
    })
    expect(seen.filter((r) => r.method === 'GET' && r.url.startsWith(`/${store.bucket}/small.txt`))).toEqual([])

    await store.put('small.txt', Buffer.from('written elsewhere'))
    await eventually(async () => expect(await readFile(path, 'utf8')).toBe('written elsewhere'), 8000)
  })
})
