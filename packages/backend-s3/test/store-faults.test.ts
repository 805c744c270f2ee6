import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { closedPortEndpoint, FaultProxy, startSilentServer } from './fault-proxy.js'
import { freshBucket, s3Target, storeFor } from './s3-target.js'

const MiB = 1024 * 1024

async function elapsed<T>(run: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now()
  const error = await run().then(() => undefined, (e: unknown) => e)
  return { ms: performance.now() - started, error }
}

describe('deadlines', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>
  beforeAll(async () => {
    silent = await startSilentServer()
  })
  afterAll(async () => {
    await silent.close()
  })

  it('a server that accepts and never answers: ETIMEDOUT at the deadline', async () => {
    const store = storeFor('any', { endpoint: silent.endpoint, timeoutMs: 700 })
    try {
      const { ms, error } = await elapsed(() => store.get('key'))
      expect(error).toMatchObject({ code: 'ETIMEDOUT' })
      expect(ms).toBeGreaterThanOrEqual(650)
      expect(ms).toBeLessThan(1500)
      expect(silent.connections()).toBeGreaterThanOrEqual(1)
    } finally {
      store.destroy()
    }
  })

  it("the caller's abort ends the call at once with EINTR, without retrying", async () => {
    const store = storeFor('any', { endpoint: silent.endpoint, timeoutMs: 10_000 })
    try {
      const before = silent.connections()
      const { ms, error } = await elapsed(() => store.head('key', { signal: AbortSignal.timeout(150) }))
      expect(error).toMatchObject({ code: 'EINTR' })
      expect(ms).toBeLessThan(1000)
      expect(silent.connections() - before).toBe(1)
      expect(store.stats.retries).toBe(0)
      // Already aborted: no request at all.
      const aborted = AbortSignal.abort()
      await expect(store.get('key', { signal: aborted })).rejects.toMatchObject({ code: 'EINTR' })
      expect(silent.connections() - before).toBe(1)
    } finally {
      store.destroy()
    }
  })

  it('a refused connection is retried with backoff, then EIO', async () => {
    const store = storeFor('any', { endpoint: await closedPortEndpoint(), retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40 } })
    try {
      const { error } = await elapsed(() => store.put('key', Buffer.from('x')))
      expect(error).toMatchObject({ code: 'EIO' })
      expect(String(error)).toMatch(/ECONNREFUSED/)
      expect(store.stats.retries).toBe(3)
    } finally {
      store.destroy()
    }
  })
})

describe('retries through a proxy that fails requests', () => {
  let proxy: FaultProxy
  let direct: S3ObjectStore
  let store: S3ObjectStore
  let scratch: string
  beforeAll(async () => {
    direct = await freshBucket()
    proxy = await FaultProxy.start(s3Target.endpoint, 7)
    store = storeFor(direct.bucket, { endpoint: proxy.endpoint, partSize: 5 * MiB, retry: { baseDelayMs: 5, maxDelayMs: 50 } })
    scratch = await mkdtemp(join(tmpdir(), 'fusekit-s3-faults-'))
  })
  afterAll(async () => {
    store.destroy()
    await proxy.close()
    await rm(scratch, { recursive: true, force: true })
  })

  it('10 % of requests answered 503 SlowDown: every operation succeeds through retries', async () => {
    proxy.faults.failRate = 0.1
    const bodies = Array.from({ length: 40 }, () => randomBytes(2000))
    await Promise.all(bodies.map((body, i) => store.put(`f/${i}`, body, { metadata: { mode: '33188' } })))
    const big = randomBytes(16 * MiB + 3)
    await writeFile(join(scratch, 'big'), big)
    await store.upload('f/big', { path: join(scratch, 'big'), start: 0, length: big.length })
    for (let i = 0; i < bodies.length; i++) {
      expect((await store.get(`f/${i}`, { start: 10, end: 1010 })).equals(bodies[i]!.subarray(10, 1010))).toBe(true)
      expect((await store.head(`f/${i}`))!.metadata).toEqual({ mode: '33188' })
    }
    expect((await store.get('f/big')).equals(big)).toBe(true)
    const keys: string[] = []
    for await (const page of store.list('f/', { pageSize: 7 })) keys.push(...page.objects.map((o) => o.key))
    expect(keys).toHaveLength(41)
    await store.copy('f/0', 'f/copy', { metadata: { mode: '33261' } })
    expect(await store.deleteMany(keys)).toEqual([])

    const injected = proxy.requests.filter((r) => r.injected).length
    expect(injected).toBeGreaterThan(10)
    // Each injected failure cost exactly one more attempt, and nothing else was retried.
    expect(store.stats.retries).toBe(injected)
    expect(proxy.requests.length / (proxy.requests.length - injected)).toBeGreaterThan(1.05)
  })

  it('a finished call leaves no deadline timer behind', async () => {
    proxy.faults.failRate = 0
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const before = timers()
    for (let i = 0; i < 50; i++) await direct.head(`f/${i}`)
    expect(timers() - before).toBeLessThan(5)
  })

  it('a 4xx answer is not retried', async () => {
    proxy.faults.failRate = 0
    const before = proxy.requests.length
    await expect(store.get('f/never-there')).rejects.toMatchObject({ code: 'ENOENT' })
    expect(proxy.requests.length - before).toBe(1)
  })

  it('a server that keeps failing: EIO after the last attempt', async () => {
    proxy.faults.failRate = 1
    const before = proxy.requests.length
    const failing = storeFor(direct.bucket, { endpoint: proxy.endpoint, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } })
    try {
      await expect(failing.head('x')).rejects.toMatchObject({ code: 'EIO' })
      expect(proxy.requests.length - before).toBe(3)
    } finally {
      failing.destroy()
      proxy.faults.failRate = 0
    }
  })

  it('a connection reset on every request: EIO, the data in the bucket untouched', async () => {
    await direct.put('r/kept', Buffer.from('kept'))
    proxy.faults.reset = true
    const failing = storeFor(direct.bucket, { endpoint: proxy.endpoint, retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 } })
    try {
      await expect(failing.put('r/kept', Buffer.from('changed'))).rejects.toMatchObject({ code: 'EIO' })
    } finally {
      failing.destroy()
      proxy.faults.reset = false
    }
    expect((await direct.get('r/kept')).toString()).toBe('kept')
  })
})

describe('credentials', () => {
  let scratch: string
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'fusekit-s3-creds-'))
  })
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true })
  })

  it('refused keys: EACCES, not retried, and the message names no key', async () => {
    // A shared credentials file with a wrong secret, chosen by profile (the env keys still set).
    const file = join(scratch, 'credentials')
    await writeFile(file, `[wrong]\naws_access_key_id = ${s3Target.accessKeyId}\naws_secret_access_key = not-the-secret\n`)
    const bucket = (await freshBucket()).bucket
    const saved = { ...process.env }
    process.env.AWS_SHARED_CREDENTIALS_FILE = file
    delete process.env.AWS_ACCESS_KEY_ID
    delete process.env.AWS_SECRET_ACCESS_KEY
    const store = storeFor(bucket, { profile: 'wrong' })
    try {
      const error = await store.get('x').catch((e: unknown) => e)
      const message = String((error as Error).message)
      // Booleans: a failed toContain would print the key it found.
      expect(message.includes(s3Target.accessKeyId) || message.includes(s3Target.secretAccessKey)).toBe(false)
      expect(error).toMatchObject({ code: 'EACCES' })
      expect(store.stats.retries).toBe(0)
    } finally {
      store.destroy()
      delete process.env.AWS_SHARED_CREDENTIALS_FILE
      Object.assign(process.env, saved)
    }
  })
})
