import { readFileSync } from 'node:fs'
import { spawn, type ChildProcess } from 'node:child_process'
import { AccessMode, FileType, OpenFlags, ROOT_INO, SetattrValid, XattrFlags, type RequestContext } from '@fusekit/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MemoryFileSystem } from '../src/index.js'
import { caller, expectFsError, memoryFs, setattrRequest } from './unit-helpers.js'

const { O_RDONLY, O_WRONLY, O_RDWR, O_TRUNC } = OpenFlags
const { MODE, UID, GID, SIZE, ATIME, MTIME, ATIME_NOW, MTIME_NOW, FH, CTIME } = SetattrValid
const REG = FileType.S_IFREG

const root = caller(0, 0)
const alice = caller(1000, 1000)
const bob = caller(1001, 1001)
const when = { sec: 1000, nsec: 0 }
const touch = setattrRequest({ valid: ATIME | ATIME_NOW | MTIME | MTIME_NOW, atime: when, mtime: when })
const explicitTimes = setattrRequest({ valid: ATIME | MTIME, atime: when, mtime: when })

/** The backend checking permissions itself, as without default_permissions; everyone may create in its root. */
async function checkingFs(): Promise<MemoryFileSystem> {
  const fs = memoryFs('64M', { defaultPermissions: false, allowOther: true })
  await fs.setattr(root, ROOT_INO, setattrRequest({ valid: MODE, mode: 0o777 }))
  return fs
}

async function file(fs: MemoryFileSystem, ctx: RequestContext, parent: number, name: string, mode: number): Promise<number> {
  return (await fs.mknod(ctx, parent, name, REG | mode, 0)).ino
}

async function dir(fs: MemoryFileSystem, ctx: RequestContext, parent: number, name: string, mode: number): Promise<number> {
  return (await fs.mkdir(ctx, parent, name, mode)).ino
}

describe('ownership of new inodes', () => {
  it('is the caller: its uid, and its gid', async () => {
    const fs = memoryFs()
    const shared = await dir(fs, root, ROOT_INO, 'shared', 0o777)
    const made = [
      await fs.mknod(alice, shared, 'f', REG | 0o644, 0),
      await fs.mkdir(alice, shared, 'd', 0o755),
      await fs.symlink(alice, 't', shared, 'l'),
      await fs.mknod(alice, shared, 'p', FileType.S_IFIFO | 0o644, 0),
      await fs.create(alice, shared, 'c', 0o600, O_RDWR),
    ]
    for (const entry of made) expect(entry.attr).toMatchObject({ uid: 1000, gid: 1000 })
  })

  it('takes the group of a set-group-ID directory, and new directories take the bit too', async () => {
    const fs = memoryFs()
    const shared = await dir(fs, root, ROOT_INO, 'shared', 0o2777)
    await fs.setattr(root, shared, setattrRequest({ valid: GID, gid: 4242 }))
    expect((await fs.mknod(alice, shared, 'f', REG | 0o644, 0)).attr).toMatchObject({ uid: 1000, gid: 4242, mode: REG | 0o644 })
    expect((await fs.mkdir(alice, shared, 'd', 0o755)).attr).toMatchObject({ uid: 1000, gid: 4242, mode: FileType.S_IFDIR | 0o2755 })
  })

  it('keeps the mode as it comes: the kernel applied the umask already', async () => {
    const fs = memoryFs()
    const ctx = caller(1000, 1000)
    ctx.umask = 0o077
    expect((await fs.mknod(ctx, ROOT_INO, 'f', REG | 0o664, 0)).attr.mode).toBe(REG | 0o664)
  })
})

describe('with default_permissions (the kernel checked)', () => {
  it('applies what arrives, whoever asks', async () => {
    const fs = memoryFs()
    const locked = await dir(fs, root, ROOT_INO, 'locked', 0o700)
    const owned = await file(fs, alice, locked, 'f', 0o600)
    await fs.setattr(bob, owned, setattrRequest({ valid: MODE | UID, mode: 0o4777, uid: 1001 }))
    await fs.setattr(bob, owned, explicitTimes)
    await fs.unlink(bob, locked, 'f')
    await fs.mkdir(bob, locked, 'd', 0o755)
    expect(fs.opendir).toBeUndefined()
  })

  it('still answers access() from the mode bits', async () => {
    const fs = memoryFs()
    const owned = await file(fs, root, ROOT_INO, 'f', 0o640)
    await expectFsError(() => fs.access(alice, owned, AccessMode.R_OK), 'EACCES')
    await fs.access(alice, owned, AccessMode.F_OK)
  })
})

describe('without default_permissions (the backend checks)', () => {
  it('lookup needs search permission on the directory; root needs none', async () => {
    const fs = await checkingFs()
    const d = await dir(fs, root, ROOT_INO, 'd', 0o744)
    await file(fs, root, d, 'f', 0o644)
    await expectFsError(() => fs.lookup(alice, d, 'f'), 'EACCES')
    await fs.lookup(root, d, 'f')
    await fs.setattr(root, d, setattrRequest({ valid: MODE, mode: 0o711 }))
    await fs.lookup(alice, d, 'f')
  })

  it('creating needs write and search permission on the directory; an existing name is EEXIST first', async () => {
    const fs = await checkingFs()
    const d = await dir(fs, root, ROOT_INO, 'd', 0o755)
    await file(fs, root, d, 'taken', 0o644)
    await expectFsError(() => fs.mknod(alice, d, 'f', REG | 0o644, 0), 'EACCES')
    await expectFsError(() => fs.mkdir(alice, d, 'sub', 0o755), 'EACCES')
    await expectFsError(() => fs.symlink(alice, 't', d, 'l'), 'EACCES')
    await expectFsError(() => fs.create(alice, d, 'c', 0o644, O_RDWR), 'EACCES')
    await expectFsError(() => fs.mkdir(alice, d, 'taken', 0o755), 'EEXIST')
    const open = await dir(fs, root, ROOT_INO, 'open', 0o777)
    await fs.mknod(alice, open, 'f', REG | 0o644, 0)
  })

  it('unlink, rmdir and rename need write permission on the directory', async () => {
    const fs = await checkingFs()
    const d = await dir(fs, root, ROOT_INO, 'd', 0o755)
    await file(fs, root, d, 'f', 0o666)
    await dir(fs, root, d, 'sub', 0o777)
    await expectFsError(() => fs.unlink(alice, d, 'f'), 'EACCES')
    await expectFsError(() => fs.rmdir(alice, d, 'sub'), 'EACCES')
    await expectFsError(() => fs.rename(alice, d, 'f', d, 'g', 0), 'EACCES')
    await expectFsError(() => fs.unlink(alice, d, 'none'), 'ENOENT')
  })

  it('in a sticky directory, only the owner of the entry or of the directory (or root) removes or renames it: EPERM', async () => {
    const fs = await checkingFs()
    const tmp = await dir(fs, root, ROOT_INO, 'tmp', 0o1777)
    await file(fs, bob, tmp, 'bobs', 0o666)
    await expectFsError(() => fs.unlink(alice, tmp, 'bobs'), 'EPERM')
    await expectFsError(() => fs.rename(alice, tmp, 'bobs', tmp, 'mine', 0), 'EPERM')
    await file(fs, alice, tmp, 'alices', 0o644)
    await expectFsError(() => fs.rename(alice, tmp, 'alices', tmp, 'bobs', 0), 'EPERM')
    await fs.unlink(bob, tmp, 'bobs')
    await fs.unlink(alice, tmp, 'alices')
    const owned = await dir(fs, alice, ROOT_INO, 'owned', 0o1777)
    await file(fs, bob, owned, 'f', 0o644)
    await fs.unlink(alice, owned, 'f')
  })

  it.skipIf(readFileSync('/proc/sys/fs/protected_hardlinks', 'latin1').trim() === '0')(
    "a hard link to another user's file needs read and write permission on it (fs.protected_hardlinks)",
    async () => {
      const fs = await checkingFs()
      const secret = await file(fs, root, ROOT_INO, 'secret', 0o644)
      await expectFsError(() => fs.link(alice, secret, ROOT_INO, 'mine'), 'EPERM')
      const shared = await file(fs, root, ROOT_INO, 'shared', 0o666)
      expect((await fs.link(alice, shared, ROOT_INO, 'mine')).ino).toBe(shared)
      const own = await file(fs, alice, ROOT_INO, 'own', 0o400)
      await fs.link(alice, own, ROOT_INO, 'own-again')
    },
  )

  it('moving a directory to another parent needs write permission on it (its ".." changes)', async () => {
    const fs = await checkingFs()
    const a = await dir(fs, root, ROOT_INO, 'a', 0o777)
    const b = await dir(fs, root, ROOT_INO, 'b', 0o777)
    await dir(fs, root, a, 'roots', 0o755)
    await expectFsError(() => fs.rename(alice, a, 'roots', b, 'roots', 0), 'EACCES')
    await fs.rename(alice, a, 'roots', a, 'renamed', 0)
  })

  it('open checks read and write permission against the access mode, write for O_TRUNC, execute for an exec', async () => {
    const fs = await checkingFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o640)
    await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 1000 }))
    await fs.open(alice, f, O_RDONLY)
    await expectFsError(() => fs.open(alice, f, O_WRONLY), 'EACCES')
    await expectFsError(() => fs.open(alice, f, O_RDWR), 'EACCES')
    await expectFsError(() => fs.open(alice, f, O_RDONLY | O_TRUNC), 'EACCES')
    await expectFsError(() => fs.open(bob, f, O_RDONLY), 'EACCES')
    await fs.open(root, f, O_RDWR)
    const program = await file(fs, root, ROOT_INO, 'program', 0o711)
    await expectFsError(() => fs.open(alice, program, O_RDONLY), 'EACCES')
    await fs.open(alice, program, O_RDONLY | 0o40)
  })

  it('opening a directory needs read permission', async () => {
    const fs = await checkingFs()
    const d = await dir(fs, root, ROOT_INO, 'd', 0o711)
    await expectFsError(() => fs.opendir!(alice, d, O_RDONLY), 'EACCES')
    await fs.opendir!(root, d, O_RDONLY)
  })

  it('chmod is for the owner or root (EPERM); an owner outside the file\'s group loses S_ISGID', async () => {
    const fs = await checkingFs()
    const f = await file(fs, alice, ROOT_INO, 'f', 0o644)
    await expectFsError(() => fs.setattr(bob, f, setattrRequest({ valid: MODE, mode: 0o777 })), 'EPERM')
    expect((await fs.setattr(alice, f, setattrRequest({ valid: MODE, mode: 0o2755 }))).mode).toBe(REG | 0o2755)
    await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 4242 }))
    expect((await fs.setattr(alice, f, setattrRequest({ valid: MODE, mode: 0o2755 }))).mode).toBe(REG | 0o755)
    expect((await fs.setattr(root, f, setattrRequest({ valid: MODE, mode: 0o2755 }))).mode).toBe(REG | 0o2755)
  })

  it('lets a writer who does not own the file clear S_ISUID and S_ISGID, as the kernel asks after a write, and nothing more', async () => {
    const fs = await checkingFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o6777)
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: MODE, mode: 0o6777 })), 'EPERM')
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: MODE, mode: 0o0777 & ~0o002 })), 'EPERM')
    expect((await fs.setattr(alice, f, setattrRequest({ valid: MODE, mode: 0o0777 }))).mode).toBe(REG | 0o777)
    const readOnly = await file(fs, root, ROOT_INO, 'read-only', 0o6755)
    await expectFsError(() => fs.setattr(alice, readOnly, setattrRequest({ valid: MODE, mode: 0o755 })), 'EPERM')
  })

  it('chown: only root gives a file away; the owner may set one of its groups', async () => {
    const fs = await checkingFs()
    const f = await file(fs, alice, ROOT_INO, 'f', 0o644)
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: UID, uid: 1001 })), 'EPERM')
    await expectFsError(() => fs.setattr(bob, f, setattrRequest({ valid: UID, uid: 1000 })), 'EPERM')
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: GID, gid: 4242 })), 'EPERM')
    await expectFsError(() => fs.setattr(bob, f, setattrRequest({ valid: GID, gid: 1000 })), 'EPERM')
    await fs.setattr(alice, f, setattrRequest({ valid: UID | GID, uid: 1000, gid: 1000 }))
    expect(await fs.setattr(root, f, setattrRequest({ valid: UID | GID, uid: 7, gid: 8 }))).toMatchObject({ uid: 7, gid: 8 })
  })

  it('utimens: explicit times for the owner or root (EPERM); "now" also for a writer (EACCES otherwise)', async () => {
    const fs = await checkingFs()
    const writable = await file(fs, root, ROOT_INO, 'writable', 0o666)
    const readable = await file(fs, root, ROOT_INO, 'readable', 0o644)
    await fs.setattr(alice, writable, touch)
    await expectFsError(() => fs.setattr(alice, writable, explicitTimes), 'EPERM')
    await expectFsError(() => fs.setattr(alice, readable, touch), 'EACCES')
    await expectFsError(() => fs.setattr(alice, readable, explicitTimes), 'EPERM')
    // One time "now" and the other left alone is an explicit change for Linux.
    await expectFsError(() => fs.setattr(alice, writable, setattrRequest({ valid: ATIME | ATIME_NOW, atime: when })), 'EPERM')
    const owned = await file(fs, alice, ROOT_INO, 'owned', 0o444)
    expect((await fs.setattr(alice, owned, explicitTimes)).mtime).toEqual(when)
    // "Now" arrives resolved: ctime is that same instant.
    expect(await fs.setattr(alice, owned, touch)).toMatchObject({ atime: when, mtime: when, ctime: when })
  })

  it('the mtime and ctime of cached writes, which the writeback cache sends through the writer\'s handle, are a write\'s: allowed to a writer only', async () => {
    const fs = await checkingFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o666)
    const written = { sec: 900, nsec: 5 }
    const changed = { sec: 901, nsec: 7 }
    const writer = await fs.open(alice, f, O_WRONLY)
    const flushed = await fs.setattr(alice, f, setattrRequest({ valid: MTIME | CTIME | FH, mtime: written, ctime: changed, fh: writer }))
    expect(flushed).toMatchObject({ mtime: written, ctime: changed })
    // The same times without the handle, or through a read-only one, are an explicit change.
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: MTIME | CTIME, mtime: written, ctime: changed })), 'EPERM')
    const reader = await fs.open(alice, f, O_RDONLY)
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: MTIME | CTIME | FH, mtime: written, ctime: changed, fh: reader })), 'EPERM')
  })

  it('truncate needs write permission, unless through a handle opened for writing', async () => {
    const fs = await checkingFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o644)
    await expectFsError(() => fs.setattr(alice, f, setattrRequest({ valid: SIZE, size: 0 })), 'EACCES')
    const fh = await fs.open(root, f, O_WRONLY)
    // ftruncate, or the truncation of an open(O_TRUNC): the times come with it.
    await fs.setattr(alice, f, setattrRequest({ valid: SIZE | FH | MTIME | MTIME_NOW, size: 0, fh, mtime: when }))
  })

  it('access() answers from the mode bits; root may execute only what someone may', async () => {
    const fs = await checkingFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o640)
    await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 1000 }))
    await fs.access(alice, f, AccessMode.R_OK)
    await expectFsError(() => fs.access(alice, f, AccessMode.W_OK), 'EACCES')
    await expectFsError(() => fs.access(bob, f, AccessMode.R_OK), 'EACCES')
    await fs.access(root, f, AccessMode.R_OK | AccessMode.W_OK)
    await expectFsError(() => fs.access(root, f, AccessMode.X_OK), 'EACCES')
    await fs.access(root, await dir(fs, alice, ROOT_INO, 'private', 0o700), AccessMode.X_OK)
  })

  it('xattrs need read or write permission; trusted.* is listed to root only', async () => {
    const fs = await checkingFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o644)
    await fs.setxattr(root, f, 'user.a', Buffer.from('1'), 0)
    await fs.setxattr(root, f, 'trusted.t', Buffer.from('1'), 0)
    expect((await fs.getxattr(alice, f, 'user.a')).toString()).toBe('1')
    await expectFsError(() => fs.setxattr(alice, f, 'user.b', Buffer.from('2'), XattrFlags.XATTR_CREATE), 'EACCES')
    await expectFsError(() => fs.removexattr(alice, f, 'user.a'), 'EACCES')
    expect(await fs.listxattr(alice, f)).toEqual(['user.a'])
    expect(await fs.listxattr(root, f)).toEqual(['user.a', 'trusted.t'])
    const sticky = await dir(fs, alice, ROOT_INO, 'sticky', 0o1777)
    await expectFsError(() => fs.setxattr(bob, sticky, 'user.d', Buffer.from('d'), 0), 'EPERM')
    await fs.setxattr(alice, sticky, 'user.d', Buffer.from('d'), 0)
  })
})

describe('set-user-ID and set-group-ID bits', () => {
  // The kernel clears S_ISGID only when group-executable; Linux also when the caller is outside the group.
  it('a write, truncate, fallocate or copy by anyone but root clears S_ISUID, and S_ISGID when group-executable or the writer is outside the group', async () => {
    const fs = memoryFs()
    const plan: Array<[mode: number, ctx: RequestContext, expected: number]> = [
      [0o6777, bob, 0o777],
      [0o2666, bob, 0o666],
      [0o2666, alice, 0o2666],
      [0o2676, alice, 0o676],
      [0o6777, root, 0o6777],
    ]
    for (const [i, [mode, ctx, expected]] of plan.entries()) {
      const { ino, fh } = await fs.create(root, ROOT_INO, `f${i}`, mode, O_RDWR)
      await fs.setattr(root, ino, setattrRequest({ valid: GID, gid: 1000 }))
      await fs.setattr(root, ino, setattrRequest({ valid: MODE, mode }))
      await fs.write(ctx, ino, fh, Buffer.from('x'), 0)
      expect((await fs.getattr(ctx, ino)).mode, `write of 0${mode.toString(8)} by ${ctx.uid}`).toBe(REG | expected)
      await fs.setattr(root, ino, setattrRequest({ valid: MODE, mode }))
      await fs.setattr(ctx, ino, setattrRequest({ valid: SIZE | FH, size: 0, fh }))
      expect((await fs.getattr(ctx, ino)).mode, `truncate of 0${mode.toString(8)} by ${ctx.uid}`).toBe(REG | expected)
      await fs.setattr(root, ino, setattrRequest({ valid: MODE, mode }))
      await fs.fallocate(ctx, ino, fh, 0, 0, 1)
      expect((await fs.getattr(ctx, ino)).mode, `fallocate of 0${mode.toString(8)} by ${ctx.uid}`).toBe(REG | expected)
      await fs.setattr(root, ino, setattrRequest({ valid: MODE, mode }))
      await fs.copyFileRange(ctx, ino, fh, 0, ino, fh, 1, 1, 0)
      expect((await fs.getattr(ctx, ino)).mode, `copy into 0${mode.toString(8)} by ${ctx.uid}`).toBe(REG | expected)
    }
  })

  it('a chown clears S_ISUID, and S_ISGID when group-executable or the caller is outside the group, even by root; directories keep theirs', async () => {
    const fs = memoryFs()
    const f = await file(fs, root, ROOT_INO, 'f', 0o6755)
    expect((await fs.setattr(root, f, setattrRequest({ valid: UID, uid: 1000 }))).mode).toBe(REG | 0o755)
    await fs.setattr(root, f, setattrRequest({ valid: MODE, mode: 0o2745 }))
    expect((await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 1000 }))).mode).toBe(REG | 0o2745)
    await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 4242 }))
    // chown(-1, -1) arrives naming no field.
    expect((await fs.setattr(alice, f, setattrRequest({ valid: 0 }))).mode).toBe(REG | 0o745)
    const d = await dir(fs, root, ROOT_INO, 'd', 0o6755)
    expect((await fs.setattr(root, d, setattrRequest({ valid: UID, uid: 1000 }))).mode).toBe(FileType.S_IFDIR | 0o6755)
  })

  it("another user's chown(-1, -1) that would clear a bit is EPERM, unless a writer's; elsewhere it changes only ctime", async () => {
    const fs = memoryFs()
    const f = await file(fs, alice, ROOT_INO, 'f', 0o2745)
    await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 4242 }))
    await expectFsError(() => fs.setattr(bob, f, setattrRequest({ valid: 0 })), 'EPERM')
    const plain = await file(fs, alice, ROOT_INO, 'plain', 0o644)
    await fs.setattr(bob, plain, setattrRequest({ valid: 0 }))
    const writable = await file(fs, alice, ROOT_INO, 'writable', 0o2666)
    await fs.setattr(root, writable, setattrRequest({ valid: GID, gid: 4242 }))
    expect((await fs.setattr(bob, writable, setattrRequest({ valid: 0 }))).mode).toBe(REG | 0o666)
  })

  it('a chown(-1, -1) sent with the kernel\'s ctime (the writeback cache keeps times itself) is still one', async () => {
    const fs = memoryFs()
    const f = await file(fs, alice, ROOT_INO, 'f', 0o2745)
    await fs.setattr(root, f, setattrRequest({ valid: GID, gid: 4242 }))
    const now = { sec: 902, nsec: 0 }
    await expectFsError(() => fs.setattr(bob, f, setattrRequest({ valid: CTIME, ctime: now })), 'EPERM')
    expect(await fs.setattr(alice, f, setattrRequest({ valid: CTIME, ctime: now }))).toMatchObject({ mode: REG | 0o745, ctime: now })
  })
})

describe('supplementary groups of the caller', () => {
  let member: ChildProcess | undefined
  beforeAll(() => {
    if (process.getuid?.() !== 0) return
    // A process of uid 1000 that is also in group 4242 (the kernel sends only its pid and ids).
    member = spawn('setpriv', ['--reuid', '1000', '--regid', '1000', '--groups', '4242', 'sleep', '60'], { stdio: 'ignore' })
    return new Promise((resolve) => setTimeout(resolve, 200))
  })
  afterAll(() => {
    member?.kill()
  })

  it.skipIf(process.getuid?.() !== 0)('are read from /proc for chgrp and S_ISGID', async () => {
    const fs = await checkingFs()
    const ctx = caller(1000, 1000, member!.pid)
    const f = await file(fs, ctx, ROOT_INO, 'f', 0o644)
    await expectFsError(() => fs.setattr(ctx, f, setattrRequest({ valid: GID, gid: 4343 })), 'EPERM')
    expect((await fs.setattr(ctx, f, setattrRequest({ valid: GID, gid: 4242 }))).gid).toBe(4242)
    expect((await fs.setattr(ctx, f, setattrRequest({ valid: MODE, mode: 0o2755 }))).mode).toBe(REG | 0o2755)
    // The group bits apply to a member.
    const groupOnly = await file(fs, root, ROOT_INO, 'group-only', 0o060)
    await fs.setattr(root, groupOnly, setattrRequest({ valid: GID, gid: 4242 }))
    await fs.open(ctx, groupOnly, O_RDWR)
  })
})
