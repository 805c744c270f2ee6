import { S3Client } from '@aws-sdk/client-s3'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, open, readFile, readdir, rmdir, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expectErrno, startMount, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { S3ObjectStore } from '../src/object-store.js'
import { mountEnv } from './s3-mounts.js'

const MiB = 1024 * 1024
/** The mount's deadline per S3 call (--timeout), and what a failure may take beyond it. */
const DEADLINE_S = 3
const SLACK_MS = 4000
const FAILED = /^(EIO|ETIMEDOUT)$/

const gatewayScript = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/s3/gateway.sh')

function hash(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * The real gateway going away: a Ceph cluster of this file's own (the run's gateway serves the
 * other test files meanwhile), whose radosgw daemon is killed and started again
 * (`gateway.sh rgw-stop` / `rgw-start`). No proxy between the mount and the gateway.
 */
describe('the gateway stopped and started again under the mount (radosgw killed, then restarted)', () => {
  let dir: string
  let store: S3ObjectStore
  let mount: MountProcess
  const gateway = (command: string) => promisify(execFile)('bash', [gatewayScript, command], { env: { ...process.env, FUSEKIT_S3_GATEWAY_DIR: dir } })
  /**
   * `gateway.sh rgw-stop`, done from this process: a child started while a file is open for
   * writing would close its inherited descriptor at exec, and that close (a FLUSH) uploads the file.
   */
  async function killRadosgw(): Promise<void> {
    const pid = Number((await readFile(join(dir, 'run', 'client.rgw.a.pid'), 'utf8')).trim())
    process.kill(pid, 'SIGKILL')
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    expect(existsSync(`/proc/${pid}`)).toBe(false)
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fusekit-s3-outage-'))
    await gateway('start')
    const env = Object.fromEntries(
      (await readFile(join(dir, 'env'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    )
    const endpoint = env.FUSEKIT_TEST_S3_ENDPOINT!
    const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! }
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    })
    store = new S3ObjectStore({ endpoint, bucket: 'outage', client })
    await store.createBucket()
    mount = await startMount({
      backend: 's3',
      args: ['--bucket', 'outage', '--endpoint', endpoint, '--timeout', `${DEADLINE_S}`],
      env: mountEnv({ AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey }),
    })
  }, 120_000)

  afterAll(async () => {
    try {
      if (mount) expect(await mount.stop()).toBe(0)
    } finally {
      store?.destroy()
      await gateway('stop')
      await rmdir(dir).catch(() => undefined)
    }
  })

  it('close() reports EIO while radosgw is down; no byte is lost; once it is back, fsync and close upload it', async () => {
    const path = join(mount.dir, 'outage.bin')
    const data = randomBytes(20 * MiB)
    const file = await open(path, 'w')
    // Back to front: staged on disk, so every byte can be read back while the gateway is down (a
    // file written from its start streams its parts, which are then only in the upload).
    await file.write(data, 10 * MiB, 10 * MiB, 10 * MiB)
    await killRadosgw()
    await file.write(data, 0, 10 * MiB, 0)
    const started = Date.now()
    await expectErrno(file.close(), 'EIO')
    expect(Date.now() - started).toBeLessThan(3 * DEADLINE_S * 1000 + SLACK_MS)

    // Every byte is still there, from the local staging, while the gateway is down.
    try {
      expect(hash(await readFile(path))).toBe(hash(data))
      expect((await stat(path)).size).toBe(20 * MiB)
    } finally {
      await gateway('rgw-start')
    }
    // (The background retry may have sent it already; fsync sends it if not.)
    const again = await open(path, 'r+')
    await again.sync()
    await again.close()
    expect(hash(await store.get('outage.bin'))).toBe(hash(data))
  })

  it('a read fails within the deadline while radosgw is down; the mount stays usable, and reads work once it is back', async () => {
    const data = randomBytes(4 * MiB)
    await store.put('away.bin', data)
    const path = join(mount.dir, 'away.bin')
    const file = await open(path, 'r')
    const buffer = Buffer.alloc(MiB)
    try {
      try {
        await killRadosgw()
        const started = Date.now()
        const failure = await file.read(buffer, 0, MiB, MiB).then(
          () => undefined,
          (error: NodeJS.ErrnoException) => error,
        )
        expect(failure?.code).toMatch(FAILED)
        expect(Date.now() - started).toBeLessThan(DEADLINE_S * 1000 + SLACK_MS)
        // What the mount knows it answers meanwhile, without hanging.
        expect((await stat(path)).size).toBe(4 * MiB)
      } finally {
        await gateway('rgw-start')
      }
      // Usable again by itself: a listing, and the read that failed.
      expect((await readdir(mount.dir)).sort()).toEqual(['away.bin', 'outage.bin'])
      const { bytesRead } = await file.read(buffer, 0, MiB, MiB)
      expect(bytesRead).toBe(MiB)
      expect(buffer.equals(data.subarray(MiB, 2 * MiB))).toBe(true)
    } finally {
      await file.close()
    }
    expect(hash(await readFile(path))).toBe(hash(data))
  })
})
