import { RenameFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, memoryPaths, names, readFile, writeFile } from './unit-helpers.js'

async function tree() {
  const fs = memoryPaths()
  await fs.mkdir('/a', 0o755)
  await fs.mkdir('/a/sub', 0o755)
  await fs.mkdir('/b', 0o755)
  await fs.mkdir('/empty', 0o755)
  await writeFile(fs, '/a/f', 'from a')
  await writeFile(fs, '/b/g', 'from b')
  return fs
}

describe('rename', () => {
  it('moves a file within a directory and keeps its inode', async () => {
    const fs = await tree()
    const before = await fs.getattr('/a/f')
    await fs.rename('/a/f', '/a/f2', 0)
    expect(await names(fs, '/a')).toEqual(['.', '..', 'f2', 'sub'])
    expect((await fs.getattr('/a/f2')).ino).toBe(before.ino)
    await expectFsError(() => fs.getattr('/a/f'), 'ENOENT')
  })

  it('replaces an existing file atomically, freeing the replaced one', async () => {
    const fs = await tree()
    const moved = await fs.getattr('/a/f')
    const usedBefore = (await fs.statfs('/')).bfree
    await fs.rename('/a/f', '/b/g', 0)
    expect((await fs.getattr('/b/g')).ino).toBe(moved.ino)
    expect((await readFile(fs, '/b/g')).toString()).toBe('from a')
    await expectFsError(() => fs.getattr('/a/f'), 'ENOENT')
    expect((await fs.statfs('/')).bfree).toBe(usedBefore + 1)
  })

  it('moves a directory to another parent, fixing both link counts and its ".."', async () => {
    const fs = await tree()
    await fs.rename('/a/sub', '/b/sub', 0)
    expect((await fs.getattr('/a')).nlink).toBe(2)
    expect((await fs.getattr('/b')).nlink).toBe(3)
    const dotdot = (await fs.readdir('/b/sub', 0, false)).find((e) => e.name === '..')
    expect(dotdot?.ino).toBe((await fs.getattr('/b')).ino)
  })

  it('replaces an empty directory with a directory', async () => {
    const fs = await tree()
    await fs.rename('/a/sub', '/empty', 0)
    expect((await fs.getattr('/a')).nlink).toBe(2)
    expect((await fs.getattr('/')).nlink).toBe(2 + 3)
    expect(await names(fs, '/')).toEqual(['.', '..', 'a', 'b', 'empty'])
  })

  it('answers EISDIR for a file onto a directory', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/a/f', '/empty', 0), 'EISDIR')
    expect((await readFile(fs, '/a/f')).toString()).toBe('from a')
  })

  it('answers ENOTDIR for a directory onto a file', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/empty', '/a/f', 0), 'ENOTDIR')
    expect(await names(fs, '/')).toContain('empty')
  })

  it('answers ENOTEMPTY for a directory onto a non-empty directory, including its own parent', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/empty', '/a', 0), 'ENOTEMPTY')
    await expectFsError(() => fs.rename('/a/sub', '/a', 0), 'ENOTEMPTY')
  })

  it('answers EINVAL for moving a directory into itself or below itself', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/a', '/a/sub/deeper', 0), 'EINVAL')
    await expectFsError(() => fs.rename('/a', '/a/inside', 0), 'EINVAL')
    expect(await names(fs, '/a')).toEqual(['.', '..', 'f', 'sub'])
  })

  it('does nothing for a rename onto itself or onto a hard link of itself', async () => {
    const fs = await tree()
    await fs.link('/a/f', '/b/f-link')
    const before = await fs.getattr('/a/f')
    await fs.rename('/a/f', '/b/f-link', 0)
    await fs.rename('/a/f', '/a/f', 0)
    await fs.rename('/a', '/a', 0)
    expect(await names(fs, '/a')).toEqual(['.', '..', 'f', 'sub'])
    expect(await names(fs, '/b')).toEqual(['.', '..', 'f-link', 'g'])
    expect(await fs.getattr('/a/f')).toEqual(before)
  })

  it('answers ENOENT for a missing source or destination directory, ENOTDIR for a file in the way', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/a/none', '/b/x', 0), 'ENOENT')
    await expectFsError(() => fs.rename('/a/f', '/nowhere/x', 0), 'ENOENT')
    await expectFsError(() => fs.rename('/a/f', '/b/g/x', 0), 'ENOTDIR')
    await expectFsError(() => fs.rename('/a/f/x', '/b/x', 0), 'ENOTDIR')
  })

  it('updates ctime of the moved inode and mtime/ctime of both directories', async () => {
    const fs = await tree()
    const old = { sec: 1000, nsec: 0 }
    for (const path of ['/a', '/b', '/a/f']) await fs.utimens(path, old, old)
    await fs.rename('/a/f', '/b/moved', 0)
    const [a, b, moved] = await Promise.all(['/a', '/b', '/b/moved'].map((p) => fs.getattr(p)))
    expect(a!.mtime.sec).toBeGreaterThan(old.sec)
    expect(b!.mtime.sec).toBeGreaterThan(old.sec)
    expect(moved!.mtime).toEqual(old)
    expect(moved!.ctime.sec).toBeGreaterThan(old.sec)
  })

  it('keeps a replaced file readable through a handle opened before', async () => {
    const fs = await tree()
    const fh = await fs.open('/b/g', 0)
    await fs.rename('/a/f', '/b/g', 0)
    const buffer = Buffer.alloc(6)
    expect(await fs.read('/b/g', fh, buffer, 0)).toBe(6)
    expect(buffer.toString()).toBe('from b')
    expect((await fs.getattr('/b/g', fh)).nlink).toBe(0)
    await fs.release('/b/g', fh)
  })
})

describe('rename flags', () => {
  const { NOREPLACE, EXCHANGE, WHITEOUT } = RenameFlags

  it('NOREPLACE: refuses an existing target with EEXIST, moves otherwise', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/a/f', '/b/g', NOREPLACE), 'EEXIST')
    expect((await readFile(fs, '/b/g')).toString()).toBe('from b')
    await fs.rename('/a/f', '/b/new', NOREPLACE)
    expect((await readFile(fs, '/b/new')).toString()).toBe('from a')
  })

  it('EXCHANGE: swaps two files atomically, both kept', async () => {
    const fs = await tree()
    const [f, g] = [await fs.getattr('/a/f'), await fs.getattr('/b/g')]
    await fs.rename('/a/f', '/b/g', EXCHANGE)
    expect((await fs.getattr('/a/f')).ino).toBe(g.ino)
    expect((await fs.getattr('/b/g')).ino).toBe(f.ino)
    expect((await readFile(fs, '/a/f')).toString()).toBe('from b')
    expect((await fs.getattr('/b/g')).nlink).toBe(1)
  })

  it('EXCHANGE: swaps a directory and a file across directories, fixing link counts and ".."', async () => {
    const fs = await tree()
    await fs.rename('/a/sub', '/b/g', EXCHANGE)
    expect((await fs.getattr('/a')).nlink).toBe(2)
    expect((await fs.getattr('/b')).nlink).toBe(3)
    const dotdot = (await fs.readdir('/b/g', 0, false)).find((e) => e.name === '..')
    expect(dotdot?.ino).toBe((await fs.getattr('/b')).ino)
    expect((await readFile(fs, '/a/sub')).toString()).toBe('from b')
  })

  it('EXCHANGE: swaps a non-empty directory too, and needs both names (ENOENT)', async () => {
    const fs = await tree()
    await writeFile(fs, '/empty/x', 'x')
    await fs.rename('/a', '/empty', EXCHANGE)
    expect(await names(fs, '/a')).toEqual(['.', '..', 'x'])
    expect(await names(fs, '/empty')).toEqual(['.', '..', 'f', 'sub'])
    await expectFsError(() => fs.rename('/a/x', '/a/none', EXCHANGE), 'ENOENT')
  })

  it('EXCHANGE of a directory with its own ancestor is EINVAL, and nothing changes', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/a/sub', '/a', EXCHANGE), 'EINVAL')
    await expectFsError(() => fs.rename('/a', '/a/sub', EXCHANGE), 'EINVAL')
    expect(await names(fs, '/a')).toEqual(['.', '..', 'f', 'sub'])
  })

  it('refuses WHITEOUT, EXCHANGE with NOREPLACE and unknown flags with EINVAL', async () => {
    const fs = await tree()
    await expectFsError(() => fs.rename('/a/f', '/b/x', WHITEOUT), 'EINVAL')
    await expectFsError(() => fs.rename('/a/f', '/b/g', EXCHANGE | NOREPLACE), 'EINVAL')
    await expectFsError(() => fs.rename('/a/f', '/b/x', 1 << 5), 'EINVAL')
    expect(await names(fs, '/a')).toEqual(['.', '..', 'f', 'sub'])
  })

  it('EXCHANGE updates ctime of both inodes and mtime/ctime of both directories', async () => {
    const fs = await tree()
    const old = { sec: 1000, nsec: 0 }
    for (const path of ['/a', '/b', '/a/f', '/b/g']) await fs.utimens(path, old, old)
    await fs.rename('/a/f', '/b/g', EXCHANGE)
    for (const path of ['/a', '/b']) expect((await fs.getattr(path)).mtime.sec).toBeGreaterThan(old.sec)
    for (const path of ['/a/f', '/b/g']) {
      const stat = await fs.getattr(path)
      expect(stat.mtime).toEqual(old)
      expect(stat.ctime.sec).toBeGreaterThan(old.sec)
    }
  })
})
