import { FileType, OpenFlags, ROOT_INO, SetattrValid, type Timespec } from '@fusekit/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { caller, me, memoryFs, memoryPaths, pathsOf, setattrRequest, writeFile } from './unit-helpers.js'

const T0 = Date.UTC(2030, 0, 1)
const at = (ms: number): Timespec => ({ sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 })

/** Moves the clock on by `ms` and returns the new time. */
function tick(ms = 1000): Timespec {
  vi.setSystemTime(Date.now() + ms)
  return at(Date.now())
}

beforeEach(() => {
  // Both clocks: file times are the wall clock to the microsecond, from performance.now().
  vi.useFakeTimers({ toFake: ['Date', 'performance'] })
  vi.setSystemTime(T0)
})
afterEach(() => {
  vi.useRealTimers()
})

describe('ownership and mode', () => {
  it("gives new files the caller's uid and gid, whoever mounted", async () => {
    const fs = memoryFs()
    await fs.setattr(me, ROOT_INO, setattrRequest({ valid: SetattrValid.MODE, mode: 0o777 }))
    const paths = pathsOf(fs, caller(1234, 5678))
    await writeFile(paths, '/f', 'x')
    await paths.mkdir('/d', 0o755)
    await paths.symlink('f', '/l')
    for (const path of ['/f', '/d', '/l']) expect(await paths.getattr(path)).toMatchObject({ uid: 1234, gid: 5678 })
  })

  it('chmod changes the permission bits only and updates ctime', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'x', 0o644)
    const now = tick()
    await fs.chmod('/f', 0o104755)
    const stat = await fs.getattr('/f')
    expect(stat.mode).toBe(FileType.S_IFREG | 0o4755)
    expect(stat.ctime).toEqual(now)
    expect(stat.mtime).toEqual(at(T0))
  })

  it('chown sets uid and gid; -1 (as the kernel passes it, 0xFFFFFFFF) leaves one unchanged', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'x')
    await fs.chown('/f', 1001, 1002)
    expect(await fs.getattr('/f')).toMatchObject({ uid: 1001, gid: 1002 })
    await fs.chown('/f', 0xffff_ffff, 2002)
    expect(await fs.getattr('/f')).toMatchObject({ uid: 1001, gid: 2002 })
    await fs.chown('/f', 3001, -1)
    expect(await fs.getattr('/f')).toMatchObject({ uid: 3001, gid: 2002 })
    const now = tick()
    await fs.chown('/f', 0xffff_ffff, 0xffff_ffff)
    expect(await fs.getattr('/f')).toMatchObject({ uid: 3001, gid: 2002, ctime: now })
  })
})

describe('timestamps', () => {
  it('sets all three times at creation, and the parent directory mtime/ctime', async () => {
    const fs = memoryPaths()
    const now = tick()
    await writeFile(fs, '/f', '')
    expect(await fs.getattr('/f')).toMatchObject({ atime: now, mtime: now, ctime: now })
    expect(await fs.getattr('/')).toMatchObject({ mtime: now, ctime: now })
  })

  it('write and truncate update mtime and ctime', async () => {
    const fs = memoryPaths()
    const fh = await fs.create('/f', 0o644, OpenFlags.O_RDWR)
    const written = tick()
    await fs.write('/f', fh, Buffer.from('data'), 0)
    expect(await fs.getattr('/f', fh)).toMatchObject({ mtime: written, ctime: written, atime: at(T0) })
    const truncated = tick()
    await fs.truncate('/f', 1, fh)
    expect(await fs.getattr('/f', fh)).toMatchObject({ mtime: truncated, ctime: truncated })
    const byPath = tick()
    await fs.truncate('/f', 0)
    expect(await fs.getattr('/f', fh)).toMatchObject({ mtime: byPath, ctime: byPath })
    await fs.release('/f', fh)
  })

  it('read updates atime relatime-style: when it is not after mtime/ctime, or a day old', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'data')
    const fh = await fs.open('/f', OpenFlags.O_RDONLY)
    const firstRead = tick()
    await fs.read('/f', fh, Buffer.alloc(4), 0)
    expect((await fs.getattr('/f')).atime).toEqual(firstRead)
    tick()
    await fs.read('/f', fh, Buffer.alloc(4), 0)
    expect((await fs.getattr('/f')).atime).toEqual(firstRead)
    const aDayLater = tick(24 * 3600 * 1000)
    await fs.read('/f', fh, Buffer.alloc(4), 0)
    expect((await fs.getattr('/f')).atime).toEqual(aDayLater)
    await fs.release('/f', fh)
  })

  it('readdir and readlink update atime the same way', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await fs.symlink('t', '/l')
    const now = tick()
    await fs.readdir('/d', 0, false)
    await fs.readlink('/l')
    expect((await fs.getattr('/d')).atime).toEqual(now)
    expect((await fs.getattr('/l')).atime).toEqual(now)
  })

  it('utimens sets atime and mtime to what is given, leaves an undefined one alone, and sets ctime to now', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'x')
    const now = tick()
    const atime = { sec: 123, nsec: 456_000_000 }
    const mtime = { sec: 789, nsec: 1_000_000 }
    await fs.utimens('/f', atime, mtime)
    expect(await fs.getattr('/f')).toMatchObject({ atime, mtime, ctime: now })
    await fs.utimens('/f', undefined, { sec: 1, nsec: 0 })
    expect(await fs.getattr('/f')).toMatchObject({ atime, mtime: { sec: 1, nsec: 0 } })
    await fs.utimens('/f', { sec: 2, nsec: 0 }, undefined)
    expect(await fs.getattr('/f')).toMatchObject({ atime: { sec: 2, nsec: 0 }, mtime: { sec: 1, nsec: 0 } })
  })

  it('link and unlink update the inode ctime and the directory mtime/ctime', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    await writeFile(fs, '/f', 'x')
    const linked = tick()
    await fs.link('/f', '/d/g')
    expect(await fs.getattr('/f')).toMatchObject({ ctime: linked, mtime: at(T0) })
    expect(await fs.getattr('/d')).toMatchObject({ mtime: linked, ctime: linked })
    const unlinked = tick()
    await fs.unlink('/d/g')
    expect(await fs.getattr('/f')).toMatchObject({ ctime: unlinked, nlink: 1 })
    expect(await fs.getattr('/d')).toMatchObject({ mtime: unlinked, ctime: unlinked })
  })

  it('mkdir, rmdir and mknod update the parent directory', async () => {
    const fs = memoryPaths()
    await fs.mkdir('/d', 0o755)
    const made = tick()
    await fs.mkdir('/d/sub', 0o755)
    expect((await fs.getattr('/d')).mtime).toEqual(made)
    const removed = tick()
    await fs.rmdir('/d/sub')
    expect((await fs.getattr('/d')).mtime).toEqual(removed)
    const node = tick()
    await fs.mknod('/d/p', FileType.S_IFIFO | 0o644, 0)
    expect((await fs.getattr('/d')).ctime).toEqual(node)
  })

  it('does not change times on getattr, statfs or listxattr', async () => {
    const fs = memoryPaths()
    await writeFile(fs, '/f', 'x')
    const before = await fs.getattr('/f')
    tick()
    await fs.statfs('/')
    await fs.listxattr('/f')
    expect(await fs.getattr('/f')).toEqual(before)
  })
})
