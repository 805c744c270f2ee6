import { execFileSync } from 'node:child_process'
import { lstatSync, mkdirSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FileType, Timespec } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, passthrough, readThrough, sandbox, writeThrough } from './helpers.js'

describe('metadata passes through', () => {
  it('creates files and directories with exactly the mode asked for, whatever the process umask', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const previous = process.umask(0o077)
    try {
      await writeThrough(ops, '/file', 'x', 0o664)
      await ops.mkdir('/dir', 0o2775)
      await ops.mknod('/plain', FileType.S_IFREG | 0o646, 0)
    } finally {
      process.umask(previous)
    }
    expect(lstatSync(join(box.source, 'file')).mode & 0o7777).toBe(0o664)
    expect(lstatSync(join(box.source, 'dir')).mode & 0o7777).toBe(0o2775)
    expect(lstatSync(join(box.source, 'plain')).mode).toBe(FileType.S_IFREG | 0o646)
  })

  it('mknod makes FIFOs, sockets and (as root) device nodes', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    await ops.mknod('/fifo', FileType.S_IFIFO | 0o640, 0)
    await ops.mknod('/socket', FileType.S_IFSOCK | 0o600, 0)
    await ops.mknod('/null', FileType.S_IFCHR | 0o666, (1 << 8) | 3)
    const fifo = lstatSync(join(box.source, 'fifo'))
    expect(fifo.isFIFO() && (fifo.mode & 0o7777) === 0o640).toBe(true)
    const socket = lstatSync(join(box.source, 'socket'))
    expect(socket.isSocket() && (socket.mode & 0o7777) === 0o600).toBe(true)
    const device = lstatSync(join(box.source, 'null'))
    expect(device.isCharacterDevice()).toBe(true)
    expect(device.rdev).toBe((1 << 8) | 3)
    expect((await ops.getattr('/null')).rdev).toBe((1 << 8) | 3)
    await expectFsError(ops.mknod('/fifo', FileType.S_IFIFO | 0o640, 0), 'EEXIST')
    await expectFsError(ops.mknod('/socket', FileType.S_IFSOCK | 0o600, 0), 'EEXIST')
    expect(execFileSync('ls', ['-A', box.source], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['fifo', 'null', 'socket'])
  })

  it('utimens sets both times, or one and keeps the other, to the nanosecond the call allows', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await ops.utimens('/file', { sec: 1_600_000_000, nsec: 123_000_000 }, { sec: 1_700_000_000, nsec: 456_789_000 })
    let st = lstatSync(join(box.source, 'file'), { bigint: true })
    expect([st.atimeNs, st.mtimeNs]).toEqual([1_600_000_000_123_000_000n, 1_700_000_000_456_789_000n])
    await ops.utimens('/file', undefined, Timespec.fromMillis(1_000_000))
    st = lstatSync(join(box.source, 'file'), { bigint: true })
    expect([st.atimeNs, st.mtimeNs]).toEqual([1_600_000_000_123_000_000n, 1_000_000_000_000n])
    await ops.utimens('/file', Timespec.fromMillis(5_000), undefined)
    st = lstatSync(join(box.source, 'file'), { bigint: true })
    expect([st.atimeNs, st.mtimeNs]).toEqual([5_000_000_000n, 1_000_000_000_000n])
  })

  it('chmod and chown change the source', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await ops.chmod('/file', 0o100600)
    await ops.chown('/file', 1000, 4294967295) // (gid_t)-1: group unchanged
    const st = lstatSync(join(box.source, 'file'))
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o600, 1000, process.getgid!()])
  })

  it('hard links show one inode with its link count', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    await writeThrough(ops, '/a', 'shared')
    await ops.link('/a', '/b')
    const [a, b] = [await ops.getattr('/a'), await ops.getattr('/b')]
    expect(a.ino).toBe(b.ino)
    expect(a.ino).toBe(lstatSync(join(box.source, 'a')).ino)
    expect(a.nlink).toBe(2)
    expect(await readThrough(ops, '/b')).toBe('shared')
  })

  it('truncate by path shrinks and grows', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), '0123456789')
    const ops = await passthrough(box)
    await ops.truncate('/file', 3)
    expect(await readThrough(ops, '/file')).toBe('012')
    await ops.truncate('/file', 5)
    expect(await readThrough(ops, '/file')).toBe('012\0\0')
  })

  it('readdir lists every entry with its inode number and type, and . and ..', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/sub'), { recursive: true })
    writeFileSync(join(box.source, 'dir/file'), 'x')
    symlinkSync('file', join(box.source, 'dir/link'))
    const ops = await passthrough(box)
    const entries = await ops.readdir('/dir')
    expect(entries.map((e) => e.name).sort()).toEqual(['.', '..', 'file', 'link', 'sub'])
    for (const { name, ino, type } of entries) {
      const real = lstatSync(join(box.source, 'dir', name))
      expect({ ino, type }, name).toEqual({ ino: real.ino, type: real.mode & FileType.S_IFMT })
    }
    const root = await ops.readdir('/')
    const rootIno = lstatSync(box.source).ino
    expect(root.filter((e) => e.name === '.' || e.name === '..').map((e) => e.ino)).toEqual([rootIno, rootIno])
  })

  it('readdir gives full stats when the driver asks for them, never for . and ..', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/sub'), { recursive: true })
    writeFileSync(join(box.source, 'dir/file'), 'xyz')
    symlinkSync('file', join(box.source, 'dir/link'))
    const ops = await passthrough(box, { uid: 1234 })
    const entries = await ops.readdir('/dir', 0, true)
    for (const { name, stat } of entries.filter((e) => e.name !== '.' && e.name !== '..')) {
      const real = lstatSync(join(box.source, 'dir', name))
      expect(stat, name).toMatchObject({ ino: real.ino, mode: real.mode, size: real.size, uid: 1234 })
    }
    expect(entries.filter((e) => e.stat === undefined).map((e) => e.name)).toEqual(['.', '..'])
  })

  it('statfs reports the source filesystem', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const real = statfsSync(box.source)
    const shown = await ops.statfs('/')
    expect(shown).toMatchObject({ bsize: real.bsize, frsize: real.bsize, blocks: real.blocks, files: real.files, namemax: 255 })
  })

  it('xattrs are set, listed, read and removed on the source file', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await ops.setxattr('/file', 'user.one', Buffer.from([0, 1, 2, 255]), 0)
    await ops.setxattr('/file', 'user.empty', Buffer.alloc(0), 0)
    expect((await ops.listxattr('/file')).sort()).toEqual(['user.empty', 'user.one'])
    expect([...(await ops.getxattr('/file', 'user.one'))]).toEqual([0, 1, 2, 255])
    expect((await ops.getxattr('/file', 'user.empty')).length).toBe(0)
    await ops.setxattr('/file', 'user.one', Buffer.from('replaced'), 2)
    expect(execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', 'user.one', join(box.source, 'file')], { encoding: 'utf8' })).toBe('replaced')
    await ops.removexattr('/file', 'user.one')
    expect(await ops.listxattr('/file')).toEqual(['user.empty'])
    await ops.setxattr('/', 'user.root', Buffer.from('r'), 0)
    expect((await ops.getxattr('/', 'user.root')).toString()).toBe('r')
  })

  it('access checks the object itself', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await ops.access('/file', 0)
    await expectFsError(ops.access('/missing', 0), 'ENOENT')
  })
})
