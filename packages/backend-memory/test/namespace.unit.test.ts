import { FileType, OpenFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, memoryPaths, names, readFile, writeFile } from './unit-helpers.js'

describe('directories', () => {
  it('starts with a root directory: ino 1, nlink 2, owned by the mounting user', async () => {
    const fs = memoryPaths()
    const root = await fs.getattr('/')
    expect(root).toMatchObject({ ino: 1, nlink: 2, uid: process.getuid!(), gid: process.getgid!() })
    expect(root.mode & FileType.S_IFMT).toBe(FileType.S_IFDIR)
    expect(await names(fs, '/')).toEqual(['.', '..'])
  })

  it('keeps nlink at 2 + subdirectories', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/a', 0o755)
    await fs.mkdir('/a/b', 0o755)
    await fs.mkdir('/a/c', 0o700)
    await writeFile(fs, '/a/file', 'x')
    expect((await fs.getattr('/a')).nlink).toBe(4)
    expect((await fs.getattr('/')).nlink).toBe(3)
    expect((await fs.getattr('/a/b')).nlink).toBe(2)
    await fs.rmdir('/a/b')
    expect((await fs.getattr('/a')).nlink).toBe(3)
  })

  it('stores the permission bits given to mkdir', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o1750)
    expect((await fs.getattr('/d')).mode).toBe(FileType.S_IFDIR | 0o1750)
  })

  it('lists entries with their inode numbers and types, and "." and ".." first', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await writeFile(fs, '/d/f', 'hello')
    await fs.symlink('f', '/d/l')
    const entries = await fs.readdir('/d', 0, false)
    expect(entries.map((e) => e.name)).toEqual(['.', '..', 'f', 'l'])
    expect(entries[0]).toMatchObject({ ino: (await fs.getattr('/d')).ino, type: FileType.S_IFDIR })
    expect(entries[1]).toMatchObject({ ino: 1, type: FileType.S_IFDIR })
    expect(entries[2]).toMatchObject({ ino: (await fs.getattr('/d/f')).ino, type: FileType.S_IFREG })
    expect(entries[3]).toMatchObject({ ino: (await fs.getattr('/d/l')).ino, type: FileType.S_IFLNK })
  })

  it('answers the errors POSIX gives', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await writeFile(fs, '/d/f', 'x')
    await expectFsError(() => fs.mkdir('/d', 0o755), 'EEXIST')
    await expectFsError(() => fs.mkdir('/d/f', 0o755), 'EEXIST')
    await expectFsError(() => fs.mkdir('/', 0o755), 'EEXIST')
    await expectFsError(() => fs.mkdir('/missing/x', 0o755), 'ENOENT')
    await expectFsError(() => fs.mkdir('/d/f/x', 0o755), 'ENOTDIR')
    await expectFsError(() => fs.getattr('/d/f/x'), 'ENOTDIR')
    await expectFsError(() => fs.getattr('/nothing'), 'ENOENT')
    await expectFsError(() => fs.readdir('/d/f', 0, false), 'ENOTDIR')
    await expectFsError(() => fs.rmdir('/d/f'), 'ENOTDIR')
    await expectFsError(() => fs.rmdir('/d'), 'ENOTEMPTY')
    await expectFsError(() => fs.rmdir('/gone'), 'ENOENT')
    await expectFsError(() => fs.unlink('/d'), 'EISDIR')
    await expectFsError(() => fs.unlink('/gone'), 'ENOENT')
  })

  it('answers ENOENT for a name never created, such as the probe libfuse makes before hiding an open file', async () => {
    const fs = memoryPaths()
    await expectFsError(() => fs.getattr('/.fuse_hidden0000000100000001'), 'ENOENT')
  })

  it('gives new entries of a set-group-ID directory its group, and new subdirectories the bit', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/shared', 0o2775)
    await fs.chown('/shared', -1, 4242)
    await writeFile(fs, '/shared/f', 'x')
    await fs.mkdir('/shared/sub', 0o755)
    expect((await fs.getattr('/shared/f')).gid).toBe(4242)
    expect(await fs.getattr('/shared/sub')).toMatchObject({ gid: 4242, mode: FileType.S_IFDIR | 0o2755 })
  })
})

describe('name length', () => {
  const long = 'x'.repeat(256)
  // 128 two-byte characters: 128 characters but 256 bytes.
  const longInBytes = 'é'.repeat(128)
  const longest = 'é'.repeat(127) + 'x'

  it('refuses a component over 255 bytes with ENAMETOOLONG, counting UTF-8 bytes', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    for (const name of [long, longInBytes]) {
      await expectFsError(() => fs.create(`/d/${name}`, 0o644, OpenFlags.O_RDWR), 'ENAMETOOLONG')
      await expectFsError(() => fs.mkdir(`/d/${name}`, 0o755), 'ENAMETOOLONG')
      await expectFsError(() => fs.symlink('t', `/d/${name}`), 'ENAMETOOLONG')
      await expectFsError(() => fs.mknod(`/d/${name}`, FileType.S_IFIFO | 0o644, 0), 'ENAMETOOLONG')
      await expectFsError(() => fs.getattr(`/d/${name}`), 'ENAMETOOLONG')
      await expectFsError(() => fs.getattr(`/${name}/x`), 'ENAMETOOLONG')
    }
    await writeFile(fs, '/d/f', 'x')
    await expectFsError(() => fs.link('/d/f', `/d/${long}`), 'ENAMETOOLONG')
    await expectFsError(() => fs.rename('/d/f', `/d/${longInBytes}`, 0), 'ENAMETOOLONG')
    expect(await names(fs, '/d')).toEqual(['.', '..', 'f'])
  })

  it('accepts a name of exactly 255 bytes', async () => {
    const fs = memoryPaths()
    await writeFile(fs, `/${longest}`, 'ok')
    await fs.mkdir(`/${'y'.repeat(255)}`, 0o755)
    expect((await readFile(fs, `/${longest}`)).toString()).toBe('ok')
  })
})

describe('symlinks', () => {
  it('stores the target, sized in bytes, and readlink returns it', async () => {
    const fs = memoryPaths()
    await fs.symlink('../some/where/é', '/link')
    const stat = await fs.getattr('/link')
    expect(stat.mode).toBe(FileType.S_IFLNK | 0o777)
    expect(stat.size).toBe(Buffer.byteLength('../some/where/é'))
    expect(await fs.readlink('/link')).toBe('../some/where/é')
  })

  it('answers EINVAL for readlink of something else, and refuses bad targets', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'x')
    await expectFsError(() => fs.readlink('/f'), 'EINVAL')
    await expectFsError(() => fs.readlink('/'), 'EINVAL')
    await expectFsError(() => fs.readlink('/none'), 'ENOENT')
    await expectFsError(() => fs.symlink('', '/empty'), 'ENOENT')
    await expectFsError(() => fs.symlink('t'.repeat(4096), '/huge'), 'ENAMETOOLONG')
    await expectFsError(() => fs.symlink('t', '/f'), 'EEXIST')
    await fs.symlink('t'.repeat(4095), '/big')
    expect((await fs.getattr('/big')).size).toBe(4095)
  })

  it('is not followed in paths: the kernel resolves symlinks itself', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await fs.symlink('/d', '/l')
    await expectFsError(() => fs.getattr('/l/x'), 'ENOTDIR')
  })

  it('cannot be opened (O_NOFOLLOW)', async () => {
    const fs = memoryPaths()
    await fs.symlink('/x', '/l')
    await expectFsError(() => fs.open('/l', OpenFlags.O_RDONLY), 'ELOOP')
  })
})

describe('mknod', () => {
  it('makes regular files, FIFOs, sockets and device nodes', async () => {
    const fs = memoryPaths()
    await fs.mknod('/reg', FileType.S_IFREG | 0o640, 0)
    await fs.mknod('/plain', 0o600, 0)
    await fs.mknod('/fifo', FileType.S_IFIFO | 0o644, 0)
    await fs.mknod('/sock', FileType.S_IFSOCK | 0o755, 0)
    await fs.mknod('/tty', FileType.S_IFCHR | 0o620, 0x0401)
    await fs.mknod('/disk', FileType.S_IFBLK | 0o660, 0x0801)
    expect(await fs.getattr('/reg')).toMatchObject({ mode: FileType.S_IFREG | 0o640, size: 0, nlink: 1 })
    expect((await fs.getattr('/plain')).mode).toBe(FileType.S_IFREG | 0o600)
    expect(await fs.getattr('/fifo')).toMatchObject({ mode: FileType.S_IFIFO | 0o644, rdev: 0 })
    expect((await fs.getattr('/sock')).mode).toBe(FileType.S_IFSOCK | 0o755)
    expect(await fs.getattr('/tty')).toMatchObject({ mode: FileType.S_IFCHR | 0o620, rdev: 0x0401 })
    expect(await fs.getattr('/disk')).toMatchObject({ mode: FileType.S_IFBLK | 0o660, rdev: 0x0801 })
    await writeFile(fs, '/reg', 'data')
    expect((await readFile(fs, '/reg')).toString()).toBe('data')
  })

  it('refuses directories (EPERM), unknown types (EINVAL) and existing names (EEXIST)', async () => {
    const fs = memoryPaths()
    await expectFsError(() => fs.mknod('/d', FileType.S_IFDIR | 0o755, 0), 'EPERM')
    await expectFsError(() => fs.mknod('/l', FileType.S_IFLNK | 0o777, 0), 'EINVAL')
    await expectFsError(() => fs.mknod('/w', 0o160000 | 0o644, 0), 'EINVAL')
    await fs.mknod('/f', FileType.S_IFIFO | 0o644, 0)
    await expectFsError(() => fs.mknod('/f', FileType.S_IFIFO | 0o644, 0), 'EEXIST')
    await expectFsError(() => fs.open('/f', OpenFlags.O_RDONLY), 'ENXIO')
  })
})
