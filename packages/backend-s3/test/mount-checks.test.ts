import { mkdtemp, readdir, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mountedType } from '@fusekit/core'
import { runCli } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closedPortEndpoint, startSilentServer } from './fault-proxy.js'
import { bucketArgs, mountEnv } from './s3-mounts.js'
import { freshBucket, s3Target } from './s3-target.js'

describe('fusekit mount s3 refuses at once what cannot work', () => {
  let dir: string
  let bucket: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusekit-s3-refused-'))
    bucket = (await freshBucket()).bucket
  })
  afterAll(async () => {
    await rmdir(dir)
  })

  /** Runs the mount, which must fail: one line, exit 1, nothing mounted, the secret nowhere. */
  async function refused(args: string[], env = mountEnv()) {
    const result = await runCli(['mount', 's3', dir, ...args], { env, timeoutMs: 30_000 })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    const lines = result.stderr.trimEnd().split('\n')
    expect(lines, result.stderr).toHaveLength(1)
    expect(result.stderr.includes(s3Target.secretAccessKey)).toBe(false)
    expect(await mountedType(dir)).toBeUndefined()
    expect(await readdir(dir)).toEqual([])
    return lines[0]!
  }

  it('wrong credentials: EACCES, and what to check', async () => {
    const line = await refused(bucketArgs(bucket), mountEnv({ AWS_SECRET_ACCESS_KEY: 'wrong-secret-0123456789abcdefghijklmnop' }))
    expect(line).toBe(`fusekit: error: EACCES: bucket ${bucket} at ${s3Target.endpoint}: access denied (SignatureDoesNotMatch) (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or --profile)`)
  })

  it('no credentials at all: EACCES, and where they are looked for', async () => {
    const env = mountEnv({ HOME: dir, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') })
    delete env.AWS_ACCESS_KEY_ID
    delete env.AWS_SECRET_ACCESS_KEY
    const line = await refused(bucketArgs(bucket), env)
    expect(line).toBe(`fusekit: error: EACCES: bucket ${bucket} at ${s3Target.endpoint}: no credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile)`)
  })

  it('a bucket that does not exist: ENOENT', async () => {
    const line = await refused(bucketArgs('fusekit-no-such-bucket'))
    expect(line).toBe(`fusekit: error: ENOENT: bucket fusekit-no-such-bucket at ${s3Target.endpoint}: no such bucket`)
  })

  it('an endpoint nothing listens on: refused connections, within seconds', async () => {
    const endpoint = await closedPortEndpoint()
    const started = Date.now()
    const line = await refused(bucketArgs(bucket, endpoint))
    expect(line).toBe(`fusekit: error: EIO: bucket ${bucket} at ${endpoint}: cannot connect (ECONNREFUSED)`)
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('an endpoint that never answers: ETIMEDOUT within the short deadline of the check', async () => {
    const silent = await startSilentServer()
    try {
      const started = Date.now()
      const line = await refused([...bucketArgs(bucket, silent.endpoint), '--timeout', '3'])
      expect(line).toBe(`fusekit: error: ETIMEDOUT: bucket ${bucket} at ${silent.endpoint}: no answer within 3 s (is the endpoint right and reachable?)`)
      expect(Date.now() - started).toBeLessThan(10_000)
    } finally {
      await silent.close()
    }
  })
})
