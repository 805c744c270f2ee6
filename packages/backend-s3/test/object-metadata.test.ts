import { PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ObjectKeys } from '../src/object-keys.js'
import {
  contentTypeFor,
  decodeAttributes,
  encodeAttributes,
  formatTime,
  parseTime,
  prefixAttributes,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
} from '../src/object-metadata.js'
import type { S3ObjectStore } from '../src/object-store.js'
import { FaultProxy } from './fault-proxy.js'
import { freshBucket, s3Target, storeFor } from './s3-target.js'

const defaults = { uid: 4242, gid: 4343 }
const lastModified = new Date('2023-11-14T22:13:20.250Z')

describe('object metadata codec (unit)', () => {
  it('encodes in s3fs-fuse spelling: decimal mode with type bits, whole or 9-digit seconds', () => {
    expect(
      encodeAttributes({
        mode: S_IFREG | 0o640,
        uid: 1000,
        gid: 100,
        mtime: { sec: 1700000000, nsec: 0 },
        ctime: { sec: 1700000001, nsec: 5 },
        atime: { sec: 1700000002, nsec: 123456789 },
      }),
    ).toEqual({ mode: '33184', uid: '1000', gid: '100', mtime: '1700000000', ctime: '1700000001.000000005', atime: '1700000002.123456789' })
    expect(formatTime({ sec: 0, nsec: 0 })).toBe('0')
    expect(contentTypeFor(S_IFDIR | 0o755)).toBe('application/x-directory')
    expect(contentTypeFor(S_IFREG | 0o644)).toBe('application/octet-stream')
  })

  it('reads times as s3fs and rclone write them, and RFC 3339', () => {
    expect(parseTime('1700000000')).toEqual({ sec: 1700000000, nsec: 0 })
    expect(parseTime('1700000000.123456789')).toEqual({ sec: 1700000000, nsec: 123456789 })
    // rclone drops trailing zeros: ".5" is half a second (s3fs 1.90 would read 5 ns).
    expect(parseTime('1700000000.5')).toEqual({ sec: 1700000000, nsec: 500000000 })
    expect(parseTime('2023-11-14T22:13:20.123456789Z')).toEqual({ sec: 1700000000, nsec: 123456789 })
    expect(parseTime('2023-11-14T23:13:20+01:00')).toEqual({ sec: 1700000000, nsec: 0 })
    expect(parseTime('yesterday')).toBeUndefined()
    expect(parseTime(undefined)).toBeUndefined()
  })

  it('decodes an object written by s3fs 1.90 (create: whole seconds, all three times)', () => {
    const attrs = decodeAttributes(
      {
        key: 'docs/a.txt',
        size: 12,
        lastModified,
        metadata: { mode: '33188', uid: '1000', gid: '1000', mtime: '1700000000', ctime: '1700000001', atime: '1700000002' },
      },
      defaults,
    )
    expect(attrs).toEqual({
      mode: S_IFREG | 0o644,
      uid: 1000,
      gid: 1000,
      size: 12,
      mtime: { sec: 1700000000, nsec: 0 },
      ctime: { sec: 1700000001, nsec: 0 },
      atime: { sec: 1700000002, nsec: 0 },
    })
  })

  it('types a mode without type bits (s3fs mkdir) by its key or content type', () => {
    const dir = decodeAttributes({ key: 'd/', size: 0, lastModified, metadata: { mode: '493' } }, defaults)
    expect(dir.mode).toBe(S_IFDIR | 0o755)
    const typed = decodeAttributes({ key: 'd', size: 0, lastModified, contentType: 'application/x-directory', metadata: { mode: '448' } }, defaults)
    expect(typed.mode).toBe(S_IFDIR | 0o700)
    const file = decodeAttributes({ key: 'f', size: 3, lastModified, metadata: { mode: '420' } }, defaults)
    expect(file.mode).toBe(S_IFREG | 0o644)
    // s3fs parses with strtol base 0.
    expect(decodeAttributes({ key: 'o', size: 0, lastModified, metadata: { mode: '0750' } }, defaults).mode).toBe(S_IFREG | 0o750)
  })

  it('decodes a symlink (S_IFLNK; the body is the target)', () => {
    const link = decodeAttributes({ key: 'l', size: 6, lastModified, metadata: { mode: String(S_IFLNK | 0o777) } }, defaults)
    expect(link.mode).toBe(S_IFLNK | 0o777)
    expect(link.size).toBe(6)
  })

  it('gives plain objects and prefixes the defaults, with LastModified as every time', () => {
    const lm = { sec: 1700000000, nsec: 250_000_000 }
    expect(decodeAttributes({ key: 'plain', size: 5, lastModified }, defaults)).toEqual({
      mode: S_IFREG | 0o644, uid: 4242, gid: 4343, size: 5, mtime: lm, ctime: lm, atime: lm,
    })
    expect(decodeAttributes({ key: 'plain/', size: 0, lastModified }, { ...defaults, dirMode: 0o700 }).mode).toBe(S_IFDIR | 0o700)
    const t = { sec: 5, nsec: 0 }
    expect(prefixAttributes(defaults, t)).toEqual({ mode: S_IFDIR | 0o755, uid: 4242, gid: 4343, size: 0, mtime: t, ctime: t, atime: t })
  })

  it('lays keys out as s3fs does', () => {
    const keys = new ObjectKeys('team')
    expect(keys.fileKey('/a/b')).toBe('team/a/b')
    expect(keys.dirKey('/a')).toBe('team/a/')
    expect(keys.dirKey('/')).toBe('team/')
    expect(keys.pathOf('team/a/b')).toBe('/a/b')
    expect(keys.pathOf('team/a/')).toBe('/a')
    expect(keys.pathOf('other/x')).toBeUndefined()
    expect(new ObjectKeys().fileKey('/x')).toBe('x')
  })
})

describe('object metadata codec against the gateway', () => {
  let store: S3ObjectStore
  beforeAll(async () => {
    store = await freshBucket()
  })

  // The objects as the other tools leave them, put with the bare SDK.
  async function putRaw(key: string, body: string, metadata?: Record<string, string>, contentType?: string) {
    await store.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: key, Body: Buffer.from(body), Metadata: metadata, ContentType: contentType }))
    const head = await store.head(key)
    return decodeAttributes(head!, defaults)
  }

  it('reads an s3fs file, directory marker and symlink', async () => {
    const file = await putRaw('s3fs/file', 'hello', { mode: '33204', uid: '1001', gid: '1002', mtime: '1700000000', ctime: '1700000000', atime: '1700000000' })
    expect(file).toMatchObject({ mode: S_IFREG | 0o664, uid: 1001, gid: 1002, size: 5, mtime: { sec: 1700000000, nsec: 0 } })
    const dir = await putRaw('s3fs/dir/', '', { mode: '493', uid: '0', gid: '0', mtime: '1700000100', ctime: '1700000100', atime: '1700000100' }, 'application/x-directory')
    expect(dir).toMatchObject({ mode: S_IFDIR | 0o755, uid: 0, gid: 0, size: 0, mtime: { sec: 1700000100, nsec: 0 } })
    const link = await putRaw('s3fs/link', '../file', { mode: '41471', uid: '1001', gid: '1002', mtime: '1700000200' })
    expect(link).toMatchObject({ mode: S_IFLNK | 0o777, size: 7 })
    expect((await store.get('s3fs/link')).toString()).toBe('../file')
  })

  it('reads rclone mtime with nanoseconds and nothing else', async () => {
    const rclone = await putRaw('rclone/file', 'x', { mtime: '1700000000.123456789' })
    expect(rclone.mtime).toEqual({ sec: 1700000000, nsec: 123456789 })
    expect(rclone.mode).toBe(S_IFREG | 0o644)
    expect(rclone.uid).toBe(4242)
    const head = await store.head('rclone/file')
    const lastModifiedSec = Math.floor(head!.lastModified.getTime() / 1000)
    expect(rclone.ctime.sec).toBe(lastModifiedSec)
  })

  it('reads a plain object: defaults and LastModified', async () => {
    const plain = await putRaw('plain/file', 'abc')
    const head = await store.head('plain/file')
    expect(plain).toMatchObject({ mode: S_IFREG | 0o644, uid: 4242, gid: 4343, size: 3 })
    expect(plain.mtime.sec).toBe(Math.floor(head!.lastModified.getTime() / 1000))
  })

  describe('on the wire', () => {
    let proxy: FaultProxy
    afterAll(async () => {
      await proxy?.close()
    })

    it('sends x-amz-meta-* headers s3fs reads, and reads back what it wrote', async () => {
      proxy = await FaultProxy.start(s3Target.endpoint)
      const viaProxy = storeFor(store.bucket, { endpoint: proxy.endpoint })
      try {
        const attributes = {
          mode: S_IFREG | 0o600,
          uid: 1000,
          gid: 1000,
          mtime: { sec: 1700000000, nsec: 0 },
          ctime: { sec: 1700000000, nsec: 0 },
          atime: { sec: 1700000000, nsec: 987654321 },
        }
        await viaProxy.put('wire/file', Buffer.from('data'), { metadata: encodeAttributes(attributes), contentType: contentTypeFor(attributes.mode) })
        const put = proxy.requests.find((r) => r.method === 'PUT')!
        expect(put.headers).toMatchObject({
          'x-amz-meta-mode': '33152',
          'x-amz-meta-uid': '1000',
          'x-amz-meta-gid': '1000',
          'x-amz-meta-mtime': '1700000000',
          'x-amz-meta-ctime': '1700000000',
          'x-amz-meta-atime': '1700000000.987654321',
          'content-type': 'application/octet-stream',
        })
        expect(decodeAttributes((await viaProxy.head('wire/file'))!, defaults)).toEqual({ ...attributes, size: 4 })
      } finally {
        viaProxy.destroy()
      }
    })
  })
})
