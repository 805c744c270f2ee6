import { OpenFlags, XattrFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { inodeLimit } from '../src/inode-limit.js'
import { expectFsError, KiB, memoryPaths, MiB, readFile, writeFile } from './unit-helpers.js'

describe('statfs', () => {
  it('reports the capacity in 4 KiB blocks and what is free', async () => {
    const fs = memoryPaths('64M')
    const empty = await fs.statfs('/')
    expect(empty).toMatchObject({ bsize: 4096, frsize: 4096, blocks: (64 * MiB) / 4096, bfree: (64 * MiB) / 4096, bavail: (64 * MiB) / 4096, namemax: 255 })
    expect(empty.files).toBe(inodeLimit(64 * MiB))
    expect(empty.ffree).toBe(empty.files - 1)
    expect(empty.favail).toBe(empty.ffree)

    await writeFile(fs, '/f', Buffer.alloc(MiB + 1))
    const used = await fs.statfs('/')
    expect(used.bfree).toBe(empty.bfree - 257)
    expect(used.bavail).toBe(used.bfree)
    expect(used.ffree).toBe(empty.ffree - 1)
  })

  it('counts the blocks of a file as the pages it really holds', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/small', 'x')
    expect(await fs.getattr('/small')).toMatchObject({ size: 1, blocks: 8, blksize: 4096 })
    const fh = await fs.create('/sparse', 0o644, OpenFlags.O_RDWR)
    await fs.write('/sparse', fh, Buffer.from('end'), 100 * MiB)
    await fs.truncate('/sparse', 200 * MiB, fh)
    expect(await fs.getattr('/sparse', fh)).toMatchObject({ size: 200 * MiB, blocks: 8 })
    await fs.release('/sparse', fh)
  })
})

describe('capacity (--size)', () => {
  it('fails a write that does not fit with ENOSPC and leaves the file as it was', async () => {
    const fs = memoryPaths('64k')
    const fh = await fs.create('/f', 0o644, OpenFlags.O_RDWR)
    expect(await fs.write('/f', fh, Buffer.alloc(60 * KiB, 1), 0)).toBe(60 * KiB)
    const before = await fs.getattr('/f', fh)
    await expectFsError(() => fs.write('/f', fh, Buffer.alloc(8 * KiB, 2), 60 * KiB), 'ENOSPC')
    await expectFsError(() => fs.write('/f', fh, Buffer.alloc(8 * KiB, 2), 100 * KiB), 'ENOSPC')
    expect(await fs.getattr('/f', fh)).toEqual(before)
    expect((await readFile(fs, '/f')).equals(Buffer.alloc(60 * KiB, 1))).toBe(true)
    expect(await fs.write('/f', fh, Buffer.alloc(4 * KiB, 3), 60 * KiB)).toBe(4 * KiB)
    expect((await fs.statfs('/')).bfree).toBe(0)
    await fs.release('/f', fh)
  })

  it('returns the space of a removed file', async () => {
    const fs = memoryPaths('1M')
    await writeFile(fs, '/a', Buffer.alloc(MiB))
    await expectFsError(() => writeFile(fs, '/b', 'x'), 'ENOSPC')
    await fs.unlink('/a')
    await fs.unlink('/b')
    expect((await fs.statfs('/')).bfree).toBe(256)
    await writeFile(fs, '/c', Buffer.alloc(MiB))
  })

  it('returns space on truncate', async () => {
    const fs = memoryPaths('1M')
    await writeFile(fs, '/a', Buffer.alloc(MiB))
    await fs.truncate('/a', 0)
    expect((await fs.statfs('/')).bfree).toBe(256)
  })

  it('lets a sparse file grow past the capacity by truncate: holes take no space', async () => {
    const fs = memoryPaths('1M')
    await writeFile(fs, '/f', '')
    await fs.truncate('/f', 10 * 1024 * MiB)
    expect((await fs.getattr('/f')).size).toBe(10 * 1024 * MiB)
    expect((await fs.statfs('/')).bfree).toBe(256)
  })

  it('counts xattrs and symlink targets against it', async () => {
    const fs = memoryPaths('8k')
    await writeFile(fs, '/f', '')
    await fs.setxattr('/f', 'user.v', Buffer.alloc(4000), 0)
    await fs.symlink('t'.repeat(4000), '/l')
    const free = (await fs.statfs('/')).bfree
    expect(free).toBe(0)
    await expectFsError(() => fs.setxattr('/f', 'user.w', Buffer.alloc(200), 0), 'ENOSPC')
    await expectFsError(() => fs.symlink('t'.repeat(200), '/l2'), 'ENOSPC')
    await expectFsError(() => fs.getattr('/l2'), 'ENOENT')
    await expectFsError(() => fs.setxattr('/f', 'user.v', Buffer.alloc(4300), XattrFlags.XATTR_REPLACE), 'ENOSPC')
    expect((await fs.getxattr('/f', 'user.v')).length).toBe(4000)
    await fs.unlink('/l')
    await fs.setxattr('/f', 'user.w', Buffer.alloc(200), 0)
    await fs.unlink('/f')
    expect((await fs.statfs('/')).bfree).toBe(2)
  })

  it('caps the number of inodes, answering ENOSPC, and frees them on removal', async () => {
    const fs = memoryPaths('4k')
    const { files } = await fs.statfs('/')
    for (let i = 1; i < files; i++) await fs.mknod(`/n${i}`, 0o644, 0)
    expect((await fs.statfs('/')).ffree).toBe(0)
    await expectFsError(() => fs.mkdir('/one-more', 0o755), 'ENOSPC')
    await expectFsError(() => fs.create('/one-more', 0o644, OpenFlags.O_RDWR), 'ENOSPC')
    await expectFsError(() => fs.symlink('x', '/one-more'), 'ENOSPC')
    await fs.link('/n1', '/links-need-no-inode')
    await fs.unlink('/n2')
    await fs.mkdir('/one-more', 0o755)
  })
})

describe('inodeLimit', () => {
  it('gives one inode per KiB of capacity, at least 1024, within half the heap at 1 KiB each', () => {
    const heap = 4 * 1024 * MiB
    expect(inodeLimit(64 * MiB, heap)).toBe(65536)
    expect(inodeLimit(4096, heap)).toBe(1024)
    expect(inodeLimit(1024 * 1024 * MiB, heap)).toBe(2 * 1024 * 1024)
  })
})
