import { chmodSync, chownSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CallerContext, FileType, OpenFlags, ROOT_INO, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { CallerOwnership } from '../src/caller-ownership.js'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'

const nobody = new CallerContext(65534, 65534, 4242)
const CREATE = OpenFlags.O_RDWR | OpenFlags.O_CREAT

describe('objects made through a mount run by root belong to the caller', () => {
  it('files, directories, symlinks and nodes get the caller’s uid and gid', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const file = await ops.create(nobody, ROOT_INO, 'file', 0o640, CREATE)
    await ops.write(nobody, file.ino, file.fh, Buffer.from('mine'), 0)
    await ops.release(nobody, file.ino, file.fh)
    await ops.mkdir(nobody, ROOT_INO, 'dir', 0o750)
    await ops.symlink(nobody, 'file', ROOT_INO, 'link')
    await ops.mknod(nobody, ROOT_INO, 'fifo', FileType.S_IFIFO | 0o600, 0)
    for (const name of ['file', 'dir', 'link', 'fifo']) {
      const real = lstatSync(join(box.source, name))
      expect([real.uid, real.gid], name).toEqual([65534, 65534])
    }
    expect(file.attr).toMatchObject({ uid: 65534, gid: 65534, mode: FileType.S_IFREG | 0o640 })
  })

  it('in a set-group-ID directory of the source the group is the directory’s, and subdirectories inherit the bit', async () => {
    const box = sandbox()
    const shared = join(box.source, 'shared')
    mkdirSync(shared)
    chownSync(shared, 0, 4242)
    chmodSync(shared, 0o2775)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'shared'))
    const file = await ops.create(nobody, dir.ino, 'file', 0o644, CREATE)
    await ops.release(nobody, file.ino, file.fh)
    await ops.mkdir(nobody, dir.ino, 'sub', 0o755)
    expect(lstatSync(join(shared, 'file'))).toMatchObject({ uid: 65534, gid: 4242 })
    const sub = lstatSync(join(shared, 'sub'))
    expect([sub.uid, sub.gid, sub.mode & 0o7777]).toEqual([65534, 4242, 0o2755])
  })

  it('permissions are still checked as the mounting user: the caller may create where root may', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'roots'), { mode: 0o755 })
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'roots'))
    const file = await ops.create(nobody, dir.ino, 'file', 0o4755, CREATE)
    await ops.release(nobody, file.ino, file.fh)
    // Made as the caller, not chowned afterwards: the set-user-ID bit asked for is kept.
    expect(lstatSync(join(box.source, 'roots/file'))).toMatchObject({ uid: 65534, mode: FileType.S_IFREG | 0o4755 })
  })

  it('the process’s own ids are back after every call, failed ones too', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'taken'), 'x')
    const ops = await passthrough(box)
    await expectFsError(() => ops.create(nobody, ROOT_INO, 'taken', 0o644, CREATE | OpenFlags.O_EXCL), 'EEXIST')
    await expectFsError(() => ops.mkdir(nobody, ROOT_INO, 'taken', 0o755), 'EEXIST')
    await ops.mkdir(nobody, ROOT_INO, 'theirs', 0o755)
    await ops.mkdir(asRoot, ROOT_INO, 'mine', 0o755)
    writeFileSync(join(box.source, 'written-here'), 'x')
    expect(lstatSync(join(box.source, 'mine'))).toMatchObject({ uid: 0, gid: 0 })
    expect(lstatSync(join(box.source, 'written-here'))).toMatchObject({ uid: 0, gid: 0 })
    expect(lstatSync(join(box.source, 'theirs'))).toMatchObject({ uid: 65534, gid: 65534 })
  })
})

describe('who new objects belong to', () => {
  it('a mount run by root switches to callers other than itself', () => {
    const owners = new CallerOwnership({ uid: 0, gid: 0 })
    expect(owners.idsFor(nobody)).toEqual([65534, 65534])
    expect(owners.idsFor(new CallerContext(0, 0, 1))).toEqual([-1, -1])
    expect(owners.idsFor(new CallerContext(0, 5, 1))).toEqual([0, 5])
  })

  it('any other mount makes everything as the mounting user', () => {
    expect(new CallerOwnership(undefined).idsFor(nobody)).toEqual([-1, -1])
  })
})
