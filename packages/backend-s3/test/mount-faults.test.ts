import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expectErrno, run, sha256, type MountProcess } from '@fusekit/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { FaultProxy } from './fault-proxy.js'
import { mountBucket } from './s3-mounts.js'
import { freshBucket, s3Target } from './s3-target.js'

const MiB = 1024 * 1024
/** The mounts' deadline per S3 call (--timeout), and what a failure may take beyond it. */
const DEADLINE_S = 3
const SLACK_MS = 4000

function hash(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Errors a failed S3 call reaches a caller with. */
const FAILED = /^(EIO|ETIMEDOUT)$/

describe('S3 failing under the mount (a fault-injecting proxy between them)', () => {
  let store: S3ObjectStore
  let proxy: FaultProxy
  let mount: MountProcess
  beforeAll(async () => {
    store = await freshBucket()
    proxy = await FaultProxy.start(s3Target.endpoint)
    mount = await mountBucket(store.bucket, ['--timeout', `${DEADLINE_S}`], proxy.endpoint)
  })
  afterEach(() => {
    Object.assign(proxy.faults, { failRate: 0, reset: false })
  })
  afterAll(async () => {
    expect(await mount.stop()).toBe(0)
    await proxy.close()
  })

  it('close() reports EIO when the server goes away mid-write; no byte is lost, and a later fsync uploads it', async () => {
    const path = join(mount.dir, 'outage.bin')
    const data = randomBytes(20 * MiB)
    const file = await open(path, 'w')
    // Back to front: staged on disk (a file written from its start streams its parts; the next case).
    await file.write(data, 10 * MiB, 10 * MiB, 10 * MiB)
    proxy.faults.reset = true
    await file.write(data, 0, 10 * MiB, 0)
    const started = Date.now()
    await expectErrno(file.close(), 'EIO')
    expect(Date.now() - started).toBeLessThan(3 * DEADLINE_S * 1000 + SLACK_MS)
    expect(await store.head('outage.bin')).toBeUndefined()

    // The data is still there, from the local staging, while the server is away.
    expect(hash(await readFile(path))).toBe(hash(data))
    proxy.faults.reset = false
    const again = await open(path, 'r+')
    await again.sync()
    await again.close()
    expect(hash(await store.get('outage.bin'))).toBe(hash(data))
  })

  it('a file written from its start whose parts went before the server went away: close() reports EIO, its sent parts cannot be read back until the server is back, then fsync completes it whole', async () => {
    const path = join(mount.dir, 'streamed.bin')
    const data = randomBytes(20 * MiB)
    const file = await open(path, 'w')
    const sent = () => proxy.requests.filter((r) => r.method === 'PUT' && r.url.includes('streamed.bin?partNumber=') && r.status === 200).length
    // Parts of 8 MiB: the first goes once the writer is past it.
    for (let at = 0; at < 12 * MiB; at += MiB) await file.write(data, at, MiB, at)
    const deadline = Date.now() + 20_000
    while (sent() < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    expect(sent()).toBe(1)
    proxy.faults.reset = true
    await file.write(data, 12 * MiB, 8 * MiB, 12 * MiB)
    await expectErrno(file.close(), 'EIO')
    expect(await store.head('streamed.bin')).toBeUndefined()
    await expect(readFile(path)).rejects.toMatchObject({ code: expect.stringMatching(FAILED) })

    proxy.faults.reset = false
    const again = await open(path, 'r+')
    await again.sync()
    await again.close()
    expect(hash(await store.get('streamed.bin'))).toBe(hash(data))
    expect(hash(await readFile(path))).toBe(hash(data))
  })

  it('a read fails within the deadline while the server is away, and works once it is back', async () => {
    const data = randomBytes(4 * MiB)
    await store.put('away.bin', data)
    const file = await open(join(mount.dir, 'away.bin'), 'r')
    try {
      proxy.faults.reset = true
      const buffer = Buffer.alloc(MiB)
      const started = Date.now()
      const failure = await file.read(buffer, 0, MiB, MiB).then(
        () => undefined,
        (error: NodeJS.ErrnoException) => error,
      )
      expect(failure?.code).toMatch(FAILED)
      expect(Date.now() - started).toBeLessThan(DEADLINE_S * 1000 + SLACK_MS)
      proxy.faults.reset = false
      const { bytesRead } = await file.read(buffer, 0, MiB, MiB)
      expect(bytesRead).toBe(MiB)
      expect(buffer.equals(data.subarray(MiB, 2 * MiB))).toBe(true)
    } finally {
      await file.close()
    }
    expect(hash(await readFile(join(mount.dir, 'away.bin')))).toBe(hash(data))
  })

  it('with 10 % of requests answered 503 SlowDown, a 256 MiB copy completes with the same sha256', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'fusekit-s3-faults-'))
    try {
      const source = join(scratch, 'big.bin')
      await run('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', 'count=256', 'status=none'])
      const expected = await sha256(source)
      proxy.faults.failRate = 0.1
      const before = proxy.requests.length
      await run('cp', [source, join(mount.dir, 'big.bin')])
      // Read back through the mount with the page cache dropped: every byte comes from S3.
      await writeFile('/proc/sys/vm/drop_caches', '3')
      expect(await sha256(join(mount.dir, 'big.bin'))).toBe(expected)
      const injected = proxy.requests.slice(before).filter((r) => r.injected).length
      expect(injected).toBeGreaterThan(0)
      expect(hash(await store.get('big.bin'))).toBe(expected)
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
  })
})

describe('unmounting with data not uploaded yet', () => {
  let store: S3ObjectStore
  let proxy: FaultProxy
  beforeAll(async () => {
    store = await freshBucket()
    proxy = await FaultProxy.start(s3Target.endpoint)
  })
  afterAll(async () => {
    await proxy.close()
  })

  /** A mount whose file `name` could not be uploaded at close (the server was away). */
  async function mountWithDirtyFile(name: string, data: Buffer): Promise<MountProcess> {
    const mount = await mountBucket(store.bucket, ['--timeout', `${DEADLINE_S}`], proxy.endpoint)
    const file = await open(join(mount.dir, name), 'w')
    await file.write(data)
    proxy.faults.reset = true
    await expectErrno(file.close(), 'EIO')
    return mount
  }

  it('SIGTERM uploads what is dirty before the mount exits, and says so file by file', async () => {
    const data = randomBytes(3 * MiB)
    const mount = await mountWithDirtyFile('at-exit.bin', data)
    proxy.faults.reset = false
    expect(await mount.stop('SIGTERM')).toBe(0)
    expect(mount.output()).toMatch(/s3: uploading 1 file\(s\) not uploaded yet \(3\.0 MiB\) before unmounting/)
    expect(mount.output()).toMatch(/s3: uploaded at-exit\.bin \[1\/1 files, 3\.0\/3\.0 MiB\]/)
    expect(hash(await store.get('at-exit.bin'))).toBe(hash(data))
  })

  it('what still cannot be uploaded at exit is kept on disk, and the log says where', async () => {
    const data = randomBytes(MiB)
    const mount = await mountWithDirtyFile('kept.bin', data)
    expect(await mount.stop('SIGINT')).toBe(0)
    proxy.faults.reset = false
    const kept = /s3: could not upload kept\.bin: its data is kept in (\S+)/.exec(mount.output())
    expect(kept, mount.output()).not.toBeNull()
    try {
      expect(hash(await readFile(kept![1]!))).toBe(hash(data))
    } finally {
      await rm(join(kept![1]!, '..'), { recursive: true, force: true })
    }
    expect(await store.head('kept.bin')).toBeUndefined()
  })
})
