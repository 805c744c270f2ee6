import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readFile, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises'
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

    // Not execFileSync: the proxy answers in this process. Counted until the keys are gone: rm
    // may end before the last batch has gathered its keys.
    const seen = await requestsDuring(proxy, async () => {
      await promisify(execFile)('rm', ['-rf', dir])
      await expectErrno(stat(dir), 'ENOENT')
      await eventually(async () => expect(await keysOf(store, 'many/')).toEqual([]), 10_000)
    })
    const deletes = seen.filter((r) => r.method === 'DELETE')
    const batches = seen.filter((r) => r.method === 'POST' && r.url.includes('delete'))
    // One DELETE: the directory's marker, by rmdir.
    expect(deletes.map((r) => r.url)).toEqual([`/${store.bucket}/many/`])
    expect(batches.length).toBeGreaterThanOrEqual(3)
    // Well under one per file even when rm runs slowly (a busy machine makes smaller batches).
    expect(batches.length).toBeLessThanOrEqual(100)
    expect(seen.filter((r) => r.method === 'HEAD')).toEqual([])
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

  it('random reads of bytes fetched already cost no request; a write through another descriptor is read back at once through the first, and uploaded', async () => {
    const KiB = 1024
    const original = randomBytes(4096 * KiB)
    await store.put('resident.bin', original)
    const path = join(mount.dir, 'resident.bin')
    // O_DIRECT: every read reaches the mount, none is answered from the page cache.
    const reader = await open(path, constants.O_RDONLY | constants.O_DIRECT)
    const readAt = async (handle: FileHandle, position: number) => (await handle.read(Buffer.alloc(4 * KiB), 0, 4 * KiB, position)).buffer
    try {
      // Pieces far apart, in no order: a random reader's. The first pass fetches them.
      const offsets = Array.from({ length: 32 }, (_, i) => ((i * 13) % 32) * 128 * KiB)
      for (const position of offsets) expect((await readAt(reader, position)).equals(original.subarray(position, position + 4 * KiB))).toBe(true)
      const again = await requestsDuring(proxy, async () => {
        for (const position of offsets) expect((await readAt(reader, position + 8 * KiB)).equals(original.subarray(position + 8 * KiB, position + 12 * KiB))).toBe(true)
      })
      expect(again.filter((r) => r.method === 'GET')).toEqual([])
      // Changed through another descriptor: the first one reads the new bytes at once, whatever it fetched before.
      const changed = Buffer.alloc(4 * KiB, 0x78)
      const writer = await open(path, 'r+')
      await writer.write(changed, 0, changed.length, 1024 * KiB + 8 * KiB)
      expect((await readAt(reader, 1024 * KiB + 8 * KiB)).equals(changed)).toBe(true)
      await writer.close()
      expect((await readAt(reader, 3072 * KiB)).equals(original.subarray(3072 * KiB, 3076 * KiB))).toBe(true)
      expect((await readAt(reader, 1024 * KiB + 8 * KiB)).equals(changed)).toBe(true)
    } finally {
      await reader.close()
    }
    const stored = await store.get('resident.bin')
    expect(stored.subarray(1024 * KiB + 8 * KiB, 1024 * KiB + 12 * KiB).equals(Buffer.alloc(4 * KiB, 0x78))).toBe(true)
    expect(stored.subarray(0, 1024 * KiB).equals(original.subarray(0, 1024 * KiB))).toBe(true)
  })

  it('a random reader of a file larger than --read-memory reads what it fetched again from disk, with no GET, and a write elsewhere at once', async () => {
    const KiB = 1024
    const original = randomBytes(16 * 1024 * KiB)
    await store.put('large.bin', original)
    // 8 MiB of memory keeps 8 of the file's 32 pieces of 512 KiB.
    const small = await mountBucket(store.bucket, ['--read-memory', '8M'], proxy.endpoint)
    try {
      const reader = await open(join(small.dir, 'large.bin'), constants.O_RDONLY | constants.O_DIRECT)
      const readAt = async (position: number) => (await reader.read(Buffer.alloc(4 * KiB), 0, 4 * KiB, position)).buffer
      // Not at offset 0, where a reader is taken for a sequential one.
      const offsets = Array.from({ length: 32 }, (_, i) => ((i * 13) % 32) * 512 * KiB + 128 * KiB)
      try {
        for (const position of offsets) expect((await readAt(position)).equals(original.subarray(position, position + 4 * KiB))).toBe(true)
        const again = await requestsDuring(proxy, async () => {
          for (const position of offsets) expect((await readAt(position + 192 * KiB)).equals(original.subarray(position + 192 * KiB, position + 196 * KiB))).toBe(true)
        })
        expect(again.filter((r) => r.method === 'GET')).toEqual([])
        // Written through another descriptor where the pieces are on disk: the reader sees the new bytes at once.
        const changed = Buffer.alloc(4 * KiB, 0x5a)
        const writer = await open(join(small.dir, 'large.bin'), 'r+')
        for (const position of offsets.slice(0, 4)) await writer.write(changed, 0, changed.length, position + 256 * KiB)
        for (const position of offsets.slice(0, 4)) expect((await readAt(position + 256 * KiB)).equals(changed)).toBe(true)
        await writer.close()
        for (const position of offsets.slice(0, 4)) expect((await readAt(position + 256 * KiB)).equals(changed)).toBe(true)
        expect((await readAt(offsets[5]! + 256 * KiB)).equals(original.subarray(offsets[5]! + 256 * KiB, offsets[5]! + 260 * KiB))).toBe(true)
      } finally {
        await reader.close()
      }
      const stored = await store.get('large.bin')
      expect(stored.subarray(offsets[0]! + 256 * KiB, offsets[0]! + 260 * KiB).equals(Buffer.alloc(4 * KiB, 0x5a))).toBe(true)
    } finally {
      expect(await small.stop()).toBe(0)
    }
  })

  it('descriptors of one file share what was fetched: random reads through a second one cost no GET while the first is open', async () => {
    const KiB = 1024
    const original = randomBytes(4096 * KiB)
    await store.put('shared.bin', original)
    const path = join(mount.dir, 'shared.bin')
    const readAt = async (handle: FileHandle, position: number) => (await handle.read(Buffer.alloc(4 * KiB), 0, 4 * KiB, position)).buffer
    const offsets = Array.from({ length: 16 }, (_, i) => ((i * 7) % 16) * 256 * KiB)
    const first = await open(path, constants.O_RDONLY | constants.O_DIRECT)
    const second = await open(path, constants.O_RDONLY | constants.O_DIRECT)
    try {
      const fetching = await requestsDuring(proxy, async () => {
        for (const position of offsets) expect((await readAt(first, position)).equals(original.subarray(position, position + 4 * KiB))).toBe(true)
      })
      expect(fetching.filter((r) => r.method === 'GET').length).toBeGreaterThan(0)
      const shared = await requestsDuring(proxy, async () => {
        for (const position of offsets) expect((await readAt(second, position + 16 * KiB)).equals(original.subarray(position + 16 * KiB, position + 20 * KiB))).toBe(true)
      })
      expect(shared.filter((r) => r.method === 'GET')).toEqual([])
    } finally {
      await first.close()
      await second.close()
    }
    // With both closed, what they fetched is gone: a new descriptor fetches again.
    const third = await open(path, constants.O_RDONLY | constants.O_DIRECT)
    try {
      const again = await requestsDuring(proxy, async () => expect((await readAt(third, offsets[1]!)).equals(original.subarray(offsets[1]!, offsets[1]! + 4 * KiB))).toBe(true))
      expect(again.filter((r) => r.method === 'GET')).toHaveLength(1)
    } finally {
      await third.close()
    }
  })
})
