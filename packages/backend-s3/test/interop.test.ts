import { chmod, chown, lstat, mkdir, readdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { mountBucket, mountFreshBucket } from './s3-mounts.js'

const uid = process.getuid!()
const gid = process.getgid!()

/** What stat shows of a time: seconds and nanoseconds. */
function timeOf(s: { mtimeNs: bigint }): string {
  return `${s.mtimeNs / 1_000_000_000n}.${String(s.mtimeNs % 1_000_000_000n).padStart(9, '0')}`
}

describe('objects as s3fs-fuse and rclone lay them out', () => {
  let store: S3ObjectStore
  let mount: MountProcess
  beforeAll(async () => {
    ;({ store, mount } = await mountFreshBucket())
  })
  afterAll(async () => {
    expect(await mount.stop()).toBe(0)
  })

  it('a file written through the mount carries the s3fs headers: mode, uid, gid, mtime, ctime, atime', async () => {
    const path = join(mount.dir, 'written.txt')
    await writeFile(path, 'through the mount', { mode: 0o640 })
    const shown = await stat(path, { bigint: true })
    const head = await store.head('written.txt')
    expect(head!.metadata).toMatchObject({ mode: String(0o100640), uid: String(uid), gid: String(gid), mtime: timeOf(shown) })
    expect(Object.keys(head!.metadata).sort()).toEqual(['atime', 'ctime', 'gid', 'mode', 'mtime', 'uid'])
    expect((await store.get('written.txt')).toString()).toBe('through the mount')
  })

  it('chmod, chown and utimens rewrite the headers of the object in place', async () => {
    const path = join(mount.dir, 'changed')
    await writeFile(path, 'x')
    await chmod(path, 0o600)
    await chown(path, 1234, 5678)
    await utimes(path, 1577934245.5, 1612325106.25)
    const head = await store.head('changed')
    expect(head!.metadata).toMatchObject({ mode: String(0o100600), uid: '1234', gid: '5678', mtime: '1612325106.250000000', atime: '1577934245.500000000' })
    expect((await store.get('changed')).toString()).toBe('x')
  })

  it('mkdir makes an s3fs directory marker; a symlink is an object whose body is its target', async () => {
    await mkdir(join(mount.dir, 'dir'), 0o750)
    const marker = await store.head('dir/')
    expect(marker!.contentType).toBe('application/x-directory')
    expect(marker!.size).toBe(0)
    expect(marker!.metadata).toMatchObject({ mode: String(0o40750), uid: String(uid), gid: String(gid) })

    await symlink('../written.txt', join(mount.dir, 'dir', 'link'))
    const link = await store.head('dir/link')
    expect(link!.metadata).toMatchObject({ mode: String(0o120777) })
    expect((await store.get('dir/link')).toString()).toBe('../written.txt')
  })

  it('shows objects put with s3fs headers, with rclone\'s mtime, and with none, as those tools mean them', async () => {
    await store.put('other/s3fs', Buffer.from('s3fs'), { metadata: { mode: String(0o100751), uid: '1234', gid: '5678', mtime: '1700000000' } })
    await store.put('other/rclone', Buffer.from('rclone'), { metadata: { mtime: '1700000000.5' } })
    await store.put('other/plain', Buffer.from('plain'))
    await store.put('other/s3fs-link', Buffer.from('s3fs'), { metadata: { mode: String(0o120777), mtime: '1700000001' } })
    // s3fs's mkdir writes a marker with no mode: the key and content type say it is a directory.
    await store.put('other/s3fs-dir/', Buffer.alloc(0), { contentType: 'application/x-directory' })
    // A directory nobody made: only a common prefix of other keys.
    await store.put('other/implied/deep/file', Buffer.from('deep'))
    const plainHead = await store.head('other/plain')

    const dir = join(mount.dir, 'other')
    expect((await readdir(dir)).sort()).toEqual(['implied', 'plain', 'rclone', 's3fs', 's3fs-dir', 's3fs-link'])
    expect(await stat(join(dir, 's3fs'))).toMatchObject({ mode: 0o100751, uid: 1234, gid: 5678, size: 4, mtimeMs: 1700000000_000 })
    expect(await stat(join(dir, 'rclone'))).toMatchObject({ mode: 0o100644, uid, gid, size: 6, mtimeMs: 1700000000_500 })
    expect(await stat(join(dir, 'plain'))).toMatchObject({ mode: 0o100644, uid, gid, size: 5, mtimeMs: plainHead!.lastModified.getTime() })
    expect((await lstat(join(dir, 's3fs-link'))).isSymbolicLink()).toBe(true)
    expect(await readlink(join(dir, 's3fs-link'))).toBe('s3fs')
    expect(await stat(join(dir, 's3fs-dir'))).toMatchObject({ mode: 0o40755, uid, gid })
    expect(await stat(join(dir, 'implied'))).toMatchObject({ mode: 0o40755, uid, gid })
    expect(await readFile(join(dir, 'implied', 'deep', 'file'), 'utf8')).toBe('deep')
  })

  it('keeps the metadata of other tools and the content type when it changes attributes or contents', async () => {
    await store.put('foreign', Buffer.from('v1'), { metadata: { mode: String(0o100644), 'custom-tag': 'kept' }, contentType: 'text/plain' })
    await chmod(join(mount.dir, 'foreign'), 0o600)
    let head = await store.head('foreign')
    expect(head!.metadata).toMatchObject({ mode: String(0o100600), 'custom-tag': 'kept' })
    expect(head!.contentType).toBe('text/plain')
    await writeFile(join(mount.dir, 'foreign'), 'version 2')
    head = await store.head('foreign')
    expect(head!.metadata).toMatchObject({ mode: String(0o100600), 'custom-tag': 'kept' })
    expect(head!.contentType).toBe('text/plain')
    expect((await store.get('foreign')).toString()).toBe('version 2')
  })

  it('in fast list mode, a listing alone gives the attributes: size and LastModified, 0644 and the mounting user', async () => {
    await store.put('fast/with-meta', Buffer.from('abc'), { metadata: { mode: String(0o100600), uid: '1234', mtime: '1700000000' } })
    const head = await store.head('fast/with-meta')
    const fast = await mountBucket(store.bucket, ['--list-mode', 'fast'])
    try {
      // ls -l: the kernel asks for the listing's attributes (READDIRPLUS), then stats each entry.
      const { stdout } = await run('ls', ['-ln', '--time-style=+%s', join(fast.dir, 'fast')])
      expect(stdout).toContain(`-rw-r--r-- 1 ${uid} ${gid} 3 ${Math.floor(head!.lastModified.getTime() / 1000)} with-meta`)
    } finally {
      expect(await fast.stop()).toBe(0)
    }
  })
})
