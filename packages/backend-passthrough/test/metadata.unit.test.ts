import { execFileSync } from 'node:child_process'
import { chmodSync, lstatSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CallerContext, FileType, OpenFlags, RenameFlags, ROOT_INO, SetattrValid, Timespec, type SetattrRequest, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'
import { PathWalker } from './path-walker.js'

const NO_TIME = Timespec.fromMillis(0)

/** A setattr request for the fields `change` names (`valid` says which). */
function setattr(change: Partial<SetattrRequest> & { valid: number }): SetattrRequest {
  return { mode: 0, uid: 0, gid: 0, size: 0, atime: NO_TIME, mtime: NO_TIME, ctime: NO_TIME, ...change }
}

describe('metadata passes through', () => {
  it('makes files, directories and nodes with exactly the mode asked for, whatever the process umask', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const previous = process.umask(0o077)
    try {
      await at.write('/file', 'x', 0o664)
      await ops.mkdir(asRoot, ROOT_INO, 'dir', 0o1775)
      await ops.mknod(asRoot, ROOT_INO, 'plain', 0o646, 0)
      await ops.mknod(asRoot, ROOT_INO, 'fifo', FileType.S_IFIFO | 0o666, 0)
    } finally {
      process.umask(previous)
    }
    expect(lstatSync(join(box.source, 'file')).mode & 0o7777).toBe(0o664)
    expect(lstatSync(join(box.source, 'dir')).mode & 0o7777).toBe(0o1775)
    expect(lstatSync(join(box.source, 'plain')).mode).toBe(FileType.S_IFREG | 0o646)
    expect(lstatSync(join(box.source, 'fifo')).mode).toBe(FileType.S_IFIFO | 0o666)
  })

  it('answers the Entry of what it made: its attributes and a node that a lookup finds again', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const dir = await ops.mkdir(asRoot, ROOT_INO, 'dir', 0o750)
    expect(dir.attr).toMatchObject({ mode: FileType.S_IFDIR | 0o750, ino: lstatSync(join(box.source, 'dir')).ino })
    const link = await ops.symlink(asRoot, 'target/text', dir.ino, 'link')
    expect(link.attr).toMatchObject({ mode: FileType.S_IFLNK | 0o777, size: 11 })
    expect((orThrow(ops.lookup(asRoot, dir.ino, 'link'))).ino).toBe(link.ino)
    expect(await ops.readlink(asRoot, link.ino)).toBe('target/text')
  })

  it('mknod makes FIFOs, sockets and (as root) device nodes', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    await ops.mknod(asRoot, ROOT_INO, 'fifo', FileType.S_IFIFO | 0o640, 0)
    await ops.mknod(asRoot, ROOT_INO, 'socket', FileType.S_IFSOCK | 0o600, 0)
    const device = await ops.mknod(asRoot, ROOT_INO, 'null', FileType.S_IFCHR | 0o666, (1 << 8) | 3)
    const fifo = lstatSync(join(box.source, 'fifo'))
    expect(fifo.isFIFO() && (fifo.mode & 0o7777) === 0o640).toBe(true)
    const socket = lstatSync(join(box.source, 'socket'))
    expect(socket.isSocket() && (socket.mode & 0o7777) === 0o600).toBe(true)
    expect(lstatSync(join(box.source, 'null')).isCharacterDevice()).toBe(true)
    expect(lstatSync(join(box.source, 'null')).rdev).toBe((1 << 8) | 3)
    expect(device.attr.rdev).toBe((1 << 8) | 3)
    expect(execFileSync('ls', ['-A', box.source], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['fifo', 'null', 'socket'])
  })

  it('setattr sets both times, or one and keeps the other, to the nanosecond, or "now" from the source clock', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    const real = () => lstatSync(join(box.source, 'file'), { bigint: true })
    const both = SetattrValid.ATIME | SetattrValid.MTIME
    await ops.setattr(asRoot, file, setattr({ valid: both, atime: { sec: 1_600_000_000, nsec: 123_456_789 }, mtime: { sec: 1_700_000_000, nsec: 456_789_123 } }))
    expect([real().atimeNs, real().mtimeNs]).toEqual([1_600_000_000_123_456_789n, 1_700_000_000_456_789_123n])
    const shown = await ops.setattr(asRoot, file, setattr({ valid: SetattrValid.MTIME, mtime: Timespec.fromMillis(1_000_000) }))
    expect([real().atimeNs, real().mtimeNs]).toEqual([1_600_000_000_123_456_789n, 1_000_000_000_000n])
    expect(shown.mtime).toEqual({ sec: 1000, nsec: 0 })
    await ops.setattr(asRoot, file, setattr({ valid: SetattrValid.ATIME, atime: Timespec.fromMillis(5_000) }))
    expect([real().atimeNs, real().mtimeNs]).toEqual([5_000_000_000n, 1_000_000_000_000n])
    const before = BigInt(Date.now() - 1000) * 1_000_000n
    await ops.setattr(asRoot, file, setattr({ valid: SetattrValid.MTIME | SetattrValid.MTIME_NOW, mtime: NO_TIME }))
    expect(real().mtimeNs > before).toBe(true)
    expect(real().atimeNs).toBe(5_000_000_000n)
  })

  it('setattr changes mode, owner and size in one request, the mode surviving the owner change', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), '0123456789')
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    const valid = SetattrValid.MODE | SetattrValid.UID | SetattrValid.GID | SetattrValid.SIZE
    const shown = await ops.setattr(asRoot, file, setattr({ valid, mode: 0o4755, uid: 1000, gid: 1001, size: 3 }))
    const st = lstatSync(join(box.source, 'file'))
    expect([st.mode & 0o7777, st.uid, st.gid, st.size]).toEqual([0o4755, 1000, 1001, 3])
    expect(shown).toMatchObject({ mode: FileType.S_IFREG | 0o4755, uid: 1000, gid: 1001, size: 3 })
  })

  it('setattr changes only the owner ids asked for', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    await ops.setattr(asRoot, file, setattr({ valid: SetattrValid.UID, uid: 1000, gid: 5 }))
    expect([lstatSync(join(box.source, 'file')).uid, lstatSync(join(box.source, 'file')).gid]).toEqual([1000, 0])
  })

  it('truncate through the node shrinks and grows', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), '0123456789')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const file = await at.node('/file')
    await ops.setattr(asRoot, file, setattr({ valid: SetattrValid.SIZE, size: 3 }))
    expect(await at.read('/file')).toBe('012')
    await ops.setattr(asRoot, file, setattr({ valid: SetattrValid.SIZE, size: 5 }))
    expect(await at.read('/file')).toBe('012\0\0')
    await expectFsError(() => ops.setattr(asRoot, ROOT_INO, setattr({ valid: SetattrValid.SIZE, size: 0 })), 'EISDIR')
  })

  it('rename replaces, refuses to replace with RENAME_NOREPLACE, and swaps with RENAME_EXCHANGE', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'a'), 'A')
    writeFileSync(join(box.source, 'b'), 'B')
    mkdirSync(join(box.source, 'dir'))
    const ops = await passthrough(box)
    const dir = await new PathWalker(ops).node('/dir')
    await expectFsError(() => ops.rename(asRoot, ROOT_INO, 'a', ROOT_INO, 'b', RenameFlags.NOREPLACE), 'EEXIST')
    await ops.rename(asRoot, ROOT_INO, 'a', ROOT_INO, 'b', RenameFlags.EXCHANGE)
    expect([readFileSync(join(box.source, 'a'), 'utf8'), readFileSync(join(box.source, 'b'), 'utf8')]).toEqual(['B', 'A'])
    await ops.rename(asRoot, ROOT_INO, 'a', dir, 'a', RenameFlags.NOREPLACE)
    await ops.rename(asRoot, ROOT_INO, 'b', dir, 'a', 0)
    expect(readFileSync(join(box.source, 'dir/a'), 'utf8')).toBe('A')
    await expectFsError(() => ops.rename(asRoot, dir, 'a', ROOT_INO, 'missing', RenameFlags.EXCHANGE), 'ENOENT')
    await expectFsError(() => ops.rename(asRoot, dir, 'a', ROOT_INO, 'c', RenameFlags.NOREPLACE | RenameFlags.EXCHANGE), 'EINVAL')
  })

  it('statfs reports the source filesystem', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const real = statfsSync(box.source)
    const shown = await ops.statfs(asRoot, ROOT_INO)
    expect(shown).toMatchObject({ bsize: real.bsize, blocks: real.blocks, files: real.files, namemax: 255 })
    expect(shown.frsize).toBeGreaterThan(0)
  })

  it('xattrs are set, listed, read and removed on the source file', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    await ops.setxattr(asRoot, file, 'user.one', Buffer.from([0, 1, 2, 255]), 0)
    await ops.setxattr(asRoot, file, 'user.empty', Buffer.alloc(0), 0)
    expect((await ops.listxattr(asRoot, file)).sort()).toEqual(['user.empty', 'user.one'])
    expect([...orThrow(await ops.getxattr(asRoot, file, 'user.one'))]).toEqual([0, 1, 2, 255])
    expect(orThrow(await ops.getxattr(asRoot, file, 'user.empty')).length).toBe(0)
    await ops.setxattr(asRoot, file, 'user.one', Buffer.from('replaced'), 2)
    expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.one', join(box.source, 'file')], { encoding: 'utf8' })).toBe('replaced')
    await ops.removexattr(asRoot, file, 'user.one')
    expect(await ops.listxattr(asRoot, file)).toEqual(['user.empty'])
    await ops.setxattr(asRoot, ROOT_INO, 'user.root', Buffer.from('r'), 0)
    expect((await ops.getxattr(asRoot, ROOT_INO, 'user.root')).toString()).toBe('r')
  })

  it('lists trusted.* attributes to root only, as Linux does', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    await ops.setxattr(asRoot, file, 'trusted.secret', Buffer.from('s'), 0)
    await ops.setxattr(asRoot, file, 'user.visible', Buffer.from('v'), 0)
    expect((await ops.listxattr(asRoot, file)).sort()).toEqual(['trusted.secret', 'user.visible'])
    expect(await ops.listxattr(new CallerContext(1000, 1000, 1), file)).toEqual(['user.visible'])
  })

  it('access checks the node itself', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    chmodSync(join(box.source, 'file'), 0o644)
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    await ops.access(asRoot, file, 0)
    // Even root may not execute a file without any x bit.
    await expectFsError(() => ops.access(asRoot, file, 1), 'EACCES')
  })

  it('fsyncdir syncs a directory', async () => {
    const ops = await passthrough(sandbox())
    await ops.fsyncdir(asRoot, ROOT_INO, 0, false)
    await ops.fsyncdir(asRoot, ROOT_INO, 0, true)
  })

  it('create without O_EXCL opens a file that appeared since the lookup instead of failing', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'raced'), 'already here', { mode: 0o600 })
    const ops = await passthrough(box)
    const created = await ops.create(asRoot, ROOT_INO, 'raced', 0o666, OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    await ops.release(asRoot, created.ino, created.fh)
    expect(readFileSync(join(box.source, 'raced'), 'utf8')).toBe('already here')
    expect(lstatSync(join(box.source, 'raced')).mode & 0o777).toBe(0o600)
    expect(created.attr.size).toBe(12)
  })
})
