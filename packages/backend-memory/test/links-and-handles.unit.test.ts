import { FileType, OpenFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, memoryPaths, MiB, names, readFile, writeFile } from './unit-helpers.js'

const { O_RDONLY, O_WRONLY, O_RDWR, O_TRUNC } = OpenFlags

describe('hard links', () => {
  it('share one inode and count links', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await writeFile(fs, '/f', 'shared')
    await fs.link('/f', '/d/g')
    await fs.link('/d/g', '/h')
    const [f, g, h] = await Promise.all(['/f', '/d/g', '/h'].map((p) => fs.getattr(p)))
    expect(f!.ino).toBe(g!.ino)
    expect(h!.ino).toBe(f!.ino)
    expect(f!.nlink).toBe(3)
    await writeFile(fs, '/h', 'changed')
    expect((await readFile(fs, '/d/g')).toString()).toBe('changed')
    await fs.unlink('/f')
    expect((await fs.getattr('/h')).nlink).toBe(2)
    expect((await fs.getattr('/d')).nlink).toBe(2)
  })

  it('refuses directories (EPERM), existing names (EEXIST) and missing sources (ENOENT)', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await writeFile(fs, '/f', 'x')
    await expectFsError(() => fs.link('/d', '/d2'), 'EPERM')
    await expectFsError(() => fs.link('/f', '/d'), 'EEXIST')
    await expectFsError(() => fs.link('/none', '/n'), 'ENOENT')
    await expectFsError(() => fs.link('/f', '/none/n'), 'ENOENT')
    expect((await fs.getattr('/f')).nlink).toBe(1)
  })

  it('work for symlinks and special files too', async () => {
    const fs = memoryPaths()
    await fs.symlink('target', '/l')
    await fs.link('/l', '/l2')
    await fs.mknod('/p', FileType.S_IFIFO | 0o600, 0)
    await fs.link('/p', '/p2')
    expect(await fs.readlink('/l2')).toBe('target')
    expect((await fs.getattr('/l')).nlink).toBe(2)
    expect((await fs.getattr('/p2')).nlink).toBe(2)
  })

  it('free the data only with the last name', async () => {
    const fs = memoryPaths('1M')
    await writeFile(fs, '/f', Buffer.alloc(512 * 1024, 1))
    await fs.link('/f', '/g')
    const full = (await fs.statfs('/')).bfree
    await fs.unlink('/f')
    expect((await fs.statfs('/')).bfree).toBe(full)
    await fs.unlink('/g')
    expect((await fs.statfs('/')).bfree).toBe(full + 128)
  })
})

describe('open files', () => {
  it('hands out distinct handles from 1, usable for read, write, ftruncate and fgetattr', async () => {
    const fs = memoryPaths()
    const a = await fs.create('/a', 0o644, O_RDWR)
    const b = await fs.create('/b', 0o644, O_RDWR)
    expect(a).toBeGreaterThanOrEqual(1)
    expect(b).not.toBe(a)
    expect(b).toBeLessThan(2 ** 32)
    expect(await fs.write('/a', a, Buffer.from('0123456789'), 0)).toBe(10)
    await fs.truncate('/a', 4, a)
    expect((await fs.getattr('/a', a)).size).toBe(4)
    const buffer = Buffer.alloc(8, 0xff)
    expect(await fs.read('/a', a, buffer, 0)).toBe(4)
    expect(buffer.subarray(0, 4).toString()).toBe('0123')
    await fs.release('/a', a)
    await fs.release('/b', b)
    await expectFsError(() => fs.read('/a', a, buffer, 0), 'EBADF')
  })

  it('reads into the buffer it is given, at the position given', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'abcdefghij')
    const fh = await fs.open('/f', O_RDONLY)
    const kernelBuffer = Buffer.alloc(4)
    expect(await fs.read('/f', fh, kernelBuffer, 3)).toBe(4)
    expect(kernelBuffer.toString()).toBe('defg')
    expect(await fs.read('/f', fh, kernelBuffer, 8)).toBe(2)
    expect(await fs.read('/f', fh, kernelBuffer, 10)).toBe(0)
    await fs.release('/f', fh)
  })

  it('copies written data: the caller may reuse its buffer at once', async () => {
    const fs = memoryPaths()
    const fh = await fs.create('/f', 0o644, O_RDWR)
    const lent = Buffer.from('first')
    await fs.write('/f', fh, lent, 0)
    lent.fill(0)
    expect((await readFile(fs, '/f')).toString()).toBe('first')
    await fs.release('/f', fh)
  })

  it('checks the access mode of the handle', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'data')
    const ro = await fs.open('/f', O_RDONLY)
    const wo = await fs.open('/f', O_WRONLY)
    await expectFsError(() => fs.write('/f', ro, Buffer.from('x'), 0), 'EBADF')
    await expectFsError(() => fs.read('/f', wo, Buffer.alloc(1), 0), 'EBADF')
    expect(await fs.write('/f', wo, Buffer.from('D'), 0)).toBe(1)
    const rw = await fs.open('/f', O_RDWR)
    expect(await fs.read('/f', rw, Buffer.alloc(4), 0)).toBe(4)
    for (const fh of [ro, wo, rw]) await fs.release('/f', fh)
    expect((await readFile(fs, '/f')).toString()).toBe('Data')
  })

  it('opens directories read-only only; read on them is EISDIR', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await expectFsError(() => fs.open('/d', O_WRONLY), 'EISDIR')
    await expectFsError(() => fs.open('/d', O_RDWR), 'EISDIR')
    await expectFsError(() => fs.open('/d', O_RDONLY | O_TRUNC), 'EISDIR')
    const fh = await fs.open('/d', O_RDONLY)
    await expectFsError(() => fs.read('/d', fh, Buffer.alloc(1), 0), 'EISDIR')
    expect((await fs.getattr('/d', fh)).ino).toBe((await fs.getattr('/d')).ino)
    await fs.release('/d', fh)
    await expectFsError(() => fs.open('/none', O_RDONLY), 'ENOENT')
  })

  it('truncates on O_TRUNC', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'content')
    const fh = await fs.open('/f', O_WRONLY | O_TRUNC)
    expect((await fs.getattr('/f', fh)).size).toBe(0)
    await fs.release('/f', fh)
  })

  it('create refuses an existing name and opens the new file for reading and writing', async () => {
    const fs = memoryPaths()
    const fh = await fs.create('/f', 0o600, O_RDWR)
    expect(await fs.write('/f', fh, Buffer.from('rw'), 0)).toBe(2)
    expect(await fs.read('/f', fh, Buffer.alloc(2), 0)).toBe(2)
    expect((await fs.getattr('/f', fh)).mode).toBe(FileType.S_IFREG | 0o600)
    await expectFsError(() => fs.create('/f', 0o600, O_RDWR), 'EEXIST')
    await expectFsError(() => fs.create('/', 0o600, O_RDWR), 'EEXIST')
    await fs.release('/f', fh)
  })

  it('refuses negative offsets and sizes with EINVAL', async () => {
    const fs = memoryPaths()
    const fh = await fs.create('/f', 0o644, O_RDWR)
    await expectFsError(() => fs.write('/f', fh, Buffer.from('x'), -1), 'EINVAL')
    await expectFsError(() => fs.read('/f', fh, Buffer.alloc(1), -1), 'EINVAL')
    await expectFsError(() => fs.truncate('/f', -1, fh), 'EINVAL')
    await expectFsError(() => fs.truncate('/f', 1.5), 'EINVAL')
    await fs.release('/f', fh)
  })

  it('truncate answers EISDIR for a directory and EINVAL for other non-files', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await fs.symlink('x', '/l')
    await expectFsError(() => fs.truncate('/d', 0), 'EISDIR')
    await expectFsError(() => fs.truncate('/l', 0), 'EINVAL')
    await expectFsError(() => fs.truncate('/none', 0), 'ENOENT')
  })
})

describe('unlink while open', () => {
  it('keeps the data readable and writable through the handle until release, then frees it', async () => {
    const fs = memoryPaths('4M')
    const empty = (await fs.statfs('/')).bfree
    const fh = await fs.create('/f', 0o644, O_RDWR)
    await fs.write('/f', fh, Buffer.alloc(MiB, 0x61), 0)
    await fs.unlink('/f')
    await expectFsError(() => fs.getattr('/f'), 'ENOENT')
    expect(await names(fs, '/')).toEqual(['.', '..'])
    expect((await fs.getattr('/f', fh)).nlink).toBe(0)

    await fs.write('/f', fh, Buffer.from('more'), MiB)
    const tail = Buffer.alloc(6)
    expect(await fs.read('/f', fh, tail, MiB - 2)).toBe(6)
    expect(tail.toString()).toBe('aamore')
    await fs.truncate('/f', 10, fh)
    expect((await fs.getattr('/f', fh)).size).toBe(10)
    await fs.write('/f', fh, Buffer.alloc(MiB, 0x62), 0)
    expect((await fs.statfs('/')).bfree).toBe(empty - 256)
    expect((await fs.statfs('/')).ffree).toBe((await fs.statfs('/')).files - 2)

    await fs.release('/f', fh)
    expect((await fs.statfs('/')).bfree).toBe(empty)
    expect((await fs.statfs('/')).ffree).toBe((await fs.statfs('/')).files - 1)
  })

  it('lets a new file take the name while the old one is still open', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'old')
    const fh = await fs.open('/f', O_RDONLY)
    const oldIno = (await fs.getattr('/f', fh)).ino
    await fs.unlink('/f')
    await writeFile(fs, '/f', 'new')
    expect((await fs.getattr('/f')).ino).not.toBe(oldIno)
    const buffer = Buffer.alloc(3)
    await fs.read('/f', fh, buffer, 0)
    expect(buffer.toString()).toBe('old')
    await fs.release('/f', fh)
    expect((await readFile(fs, '/f')).toString()).toBe('new')
  })

  it('works the way libfuse 2 does it: rename to a hidden name, unlink on release', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'kept')
    const fh = await fs.open('/f', O_RDWR)
    await expectFsError(() => fs.getattr('/.fuse_hidden000000020000001'), 'ENOENT')
    await fs.rename('/f', '/.fuse_hidden000000020000001', 0)
    await fs.write('/.fuse_hidden000000020000001', fh, Buffer.from('K'), 0)
    await fs.release('/.fuse_hidden000000020000001', fh)
    await fs.unlink('/.fuse_hidden000000020000001')
    expect(await names(fs, '/')).toEqual(['.', '..'])
  })
})
