import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eventually, expectErrno, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountBucket } from './s3-mounts.js'
import { freshBucket } from './s3-target.js'

// The second mount caches for 2 s (its own caches and the kernel's): what the first does shows there within that.
const TTL_S = 2
const shortCaches = ['--stat-ttl', `${TTL_S}`, '--list-ttl', `${TTL_S}`, '--negative-ttl', `${TTL_S}`, '--attr-timeout', `${TTL_S}`, '--entry-timeout', `${TTL_S}`, '--negative-timeout', `${TTL_S}`]
// Within both TTLs (the backend's, then the kernel's), with room for a slow machine.
const WITHIN_MS = 2 * TTL_S * 1000 + 3000

describe('two mounts of one bucket', () => {
  let first: MountProcess
  let second: MountProcess
  beforeAll(async () => {
    const { bucket } = await freshBucket()
    first = await mountBucket(bucket)
    second = await mountBucket(bucket, shortCaches)
  })
  afterAll(async () => {
    expect(await first.stop()).toBe(0)
    expect(await second.stop()).toBe(0)
  })

  it('a file closed on one is seen on the other within the attribute TTL, new contents too', async () => {
    // The second mount has just been told the name does not exist, and the directory's listing.
    await expectErrno(stat(join(second.dir, 'shared.txt')), 'ENOENT')
    expect(await readdir(second.dir)).toEqual([])

    const started = Date.now()
    await writeFile(join(first.dir, 'shared.txt'), 'version 1')
    await eventually(async () => expect(await readFile(join(second.dir, 'shared.txt'), 'utf8')).toBe('version 1'), WITHIN_MS)
    expect(await readdir(second.dir)).toEqual(['shared.txt'])
    expect(Date.now() - started).toBeLessThan(WITHIN_MS)

    // A new version of another length, then of the same length (only mtime and ETag tell).
    await writeFile(join(first.dir, 'shared.txt'), 'version 22')
    await eventually(async () => expect(await readFile(join(second.dir, 'shared.txt'), 'utf8')).toBe('version 22'), WITHIN_MS)
    await writeFile(join(first.dir, 'shared.txt'), 'version 33')
    await eventually(async () => expect(await readFile(join(second.dir, 'shared.txt'), 'utf8')).toBe('version 33'), WITHIN_MS)
  })
})
