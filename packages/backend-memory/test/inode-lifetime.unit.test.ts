import { FileType, OpenFlags, ROOT_INO, SetattrValid, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, me, memoryFs, MiB, setattrRequest } from './unit-helpers.js'

const { O_RDWR } = OpenFlags

describe('hard links', () => {
  it('are one node: link answers the same ino, and nlink is counted on the inode', async () => {
    const fs = memoryFs()
    const dir = await fs.mkdir(me, ROOT_INO, 'd', 0o755)
    const file = await fs.mknod(me, ROOT_INO, 'f', FileType.S_IFREG | 0o644, 0)
    const second = await fs.link(me, file.ino, dir.ino, 'g')
    expect(second.ino).toBe(file.ino)
    expect(second.attr.nlink).toBe(2)
    expect(orThrow(fs.lookup(me, dir.ino, 'g')).ino).toBe(file.ino)
    await fs.unlink(me, ROOT_INO, 'f')
    expect((await fs.getattr(me, file.ino)).nlink).toBe(1)
    expect(orThrow(fs.lookup(me, dir.ino, 'g')).attr.nlink).toBe(1)
  })

  it('write through one name and read through another, with the same handle-free node', async () => {
    const fs = memoryFs()
    const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, O_RDWR)
    await fs.link(me, ino, ROOT_INO, 'g')
    await fs.write(me, ino, fh, Buffer.from('shared'), 0)
    await fs.release(me, ino, fh)
    const other = orThrow(fs.lookup(me, ROOT_INO, 'g'))
    const reader = await fs.open(me, other.ino, OpenFlags.O_RDONLY)
    const buffer = Buffer.alloc(6)
    expect(await fs.read(me, other.ino, reader, buffer, 0)).toBe(6)
    expect(buffer.toString()).toBe('shared')
    await fs.release(me, other.ino, reader)
  })
})

describe('lookups', () => {
  it('are counted by every Entry handed out; an unlinked inode lives until the kernel forgot them all', async () => {
    const fs = memoryFs('1M')
    const { files } = await fs.statfs(me, ROOT_INO)
    const made = await fs.mknod(me, ROOT_INO, 'f', FileType.S_IFREG | 0o644, 0)
    await fs.lookup(me, ROOT_INO, 'f')
    await fs.link(me, made.ino, ROOT_INO, 'g')
    await fs.unlink(me, ROOT_INO, 'f')
    await fs.unlink(me, ROOT_INO, 'g')
    expect((await fs.getattr(me, made.ino)).nlink).toBe(0)
    fs.forget(made.ino, 2)
    expect((await fs.getattr(me, made.ino)).nlink).toBe(0)
    expect((await fs.statfs(me, ROOT_INO)).ffree).toBe(files - 2)
    fs.forget(made.ino, 1)
    await expectFsError(() => fs.getattr(me, made.ino), 'ENOENT')
    expect((await fs.statfs(me, ROOT_INO)).ffree).toBe(files - 1)
  })

  it('give a number again only once its inode is freed, and then first: numbers stay as few as the inodes that lived at once', async () => {
    const fs = memoryFs()
    const a = await fs.mknod(me, ROOT_INO, 'a', FileType.S_IFREG | 0o644, 0)
    const b = await fs.mknod(me, ROOT_INO, 'b', FileType.S_IFREG | 0o644, 0)
    expect(b.ino).toBe(a.ino + 1)
    await fs.unlink(me, ROOT_INO, 'a')
    // Unlinked, but the kernel still holds it: its number is not free.
    const c = await fs.mknod(me, ROOT_INO, 'c', FileType.S_IFREG | 0o644, 0)
    expect(c.ino).toBe(b.ino + 1)
    fs.forget(a.ino, 1)
    const d = await fs.mknod(me, ROOT_INO, 'd', FileType.S_IFREG | 0o644, 0)
    expect(d.ino).toBe(a.ino)
    expect(() => fs.forget(2 ** 40, 1)).not.toThrow()
    await expectFsError(() => fs.getattr(me, 2 ** 40), 'ENOENT')
  })

  it('leave a named inode alone when forgotten', async () => {
    const fs = memoryFs()
    const made = await fs.mkdir(me, ROOT_INO, 'd', 0o755)
    fs.forget(made.ino, 1)
    fs.forget(made.ino, 5)
    expect(orThrow(fs.lookup(me, ROOT_INO, 'd')).ino).toBe(made.ino)
    fs.forget(12345, 1)
  })

  it('keep a removed directory: it lists "." and ".." only, and takes no new name', async () => {
    const fs = memoryFs()
    const dir = await fs.mkdir(me, ROOT_INO, 'd', 0o755)
    await fs.rmdir(me, ROOT_INO, 'd')
    expect((await fs.getattr(me, dir.ino)).nlink).toBe(0)
    expect([...(await fs.readdir(me, dir.ino, 0, 0, false))].map((e) => e.name)).toEqual(['.', '..'])
    await expectFsError(() => fs.mkdir(me, dir.ino, 'x', 0o755), 'ENOENT')
    await expectFsError(() => fs.create(me, dir.ino, 'x', 0o644, O_RDWR), 'ENOENT')
    fs.forget(dir.ino, 1)
    await expectFsError(() => fs.getattr(me, dir.ino), 'ENOENT')
  })
})

describe('an unlinked open file', () => {
  it('keeps answering getattr and setattr by ino and by handle (fstat, fchmod, fchown, futimens, ftruncate)', async () => {
    const fs = memoryFs('4M')
    const empty = (await fs.statfs(me, ROOT_INO)).bfree
    const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, O_RDWR)
    await fs.write(me, ino, fh, Buffer.alloc(MiB, 1), 0)
    await fs.unlink(me, ROOT_INO, 'f')
    fs.forget(ino, 1)

    const when = { sec: 1234, nsec: 5 }
    await fs.setattr(me, ino, setattrRequest({ valid: SetattrValid.MODE, mode: 0o600 }))
    await fs.setattr(me, ino, setattrRequest({ valid: SetattrValid.UID | SetattrValid.GID | SetattrValid.FH, uid: 42, gid: 43, fh }))
    await fs.setattr(me, ino, setattrRequest({ valid: SetattrValid.ATIME | SetattrValid.MTIME, atime: when, mtime: when }))
    const stat = await fs.setattr(me, ino, setattrRequest({ valid: SetattrValid.SIZE | SetattrValid.FH, size: 10, fh }))
    expect(stat).toMatchObject({ mode: FileType.S_IFREG | 0o600, uid: 42, gid: 43, size: 10, nlink: 0, atime: when })
    expect(await fs.getattr(me, ino, fh)).toEqual(stat)
    expect(await fs.getattr(me, ino)).toEqual(stat)
    expect((await fs.statfs(me, ROOT_INO)).bfree).toBe(empty - 1)

    await fs.release(me, ino, fh)
    await expectFsError(() => fs.getattr(me, ino), 'ENOENT')
    expect((await fs.statfs(me, ROOT_INO)).bfree).toBe(empty)
  })

  it('is freed only when its last name, handle and lookup are all gone, in any order', async () => {
    const fs = memoryFs()
    for (const order of [['unlink', 'release', 'forget'], ['release', 'forget', 'unlink'], ['forget', 'unlink', 'release']]) {
      const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, O_RDWR)
      const steps: Record<string, () => Promise<void> | void> = {
        unlink: () => fs.unlink(me, ROOT_INO, 'f'),
        release: () => fs.release(me, ino, fh),
        forget: () => fs.forget(ino, 1),
      }
      for (const [i, step] of order.entries()) {
        expect(() => fs.getattr(me, ino), `before ${step} (${order.join(', ')})`).not.toThrow()
        await steps[step]!()
        if (i < 2) continue
        await expectFsError(() => fs.getattr(me, ino), 'ENOENT')
      }
    }
  })

  it('cannot get a name again (linkat of an unlinked file)', async () => {
    const fs = memoryFs()
    const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, O_RDWR)
    await fs.unlink(me, ROOT_INO, 'f')
    await expectFsError(() => fs.link(me, ino, ROOT_INO, 'back'), 'ENOENT')
    await fs.release(me, ino, fh)
  })
})

describe('handles', () => {
  it('answer EBADF once released', async () => {
    const fs = memoryFs()
    const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, O_RDWR)
    await fs.release(me, ino, fh)
    await expectFsError(() => fs.release(me, ino, fh), 'EBADF')
    await expectFsError(() => fs.read(me, ino, fh, Buffer.alloc(1), 0), 'EBADF')
  })

  it('of create keep the access mode asked for', async () => {
    const fs = memoryFs()
    const { ino, fh } = await fs.create(me, ROOT_INO, 'f', 0o644, OpenFlags.O_WRONLY)
    expect(await fs.write(me, ino, fh, Buffer.from('x'), 0)).toBe(1)
    await expectFsError(() => fs.read(me, ino, fh, Buffer.alloc(1), 0), 'EBADF')
  })
})
