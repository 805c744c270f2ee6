import { lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags, ROOT_INO, SetattrValid, Timespec, type SetattrRequest } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'
import { PathWalker } from './path-walker.js'

/** A setattr request through handle `fh`. */
function throughHandle(fh: number, change: Partial<SetattrRequest> & { valid: number }): SetattrRequest {
  const t = Timespec.fromMillis(0)
  return { mode: 0, uid: 0, gid: 0, size: 0, atime: t, mtime: t, ctime: t, ...change, valid: change.valid | SetattrValid.FH, fh }
}

describe('open files keep a real descriptor', () => {
  it('reads and writes at positions through the handle', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const { ino, fh } = await ops.create(asRoot, ROOT_INO, 'file', 0o644, OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    expect(await ops.write(asRoot, ino, fh, Buffer.from('hello world'), 0)).toBe(11)
    expect(await ops.write(asRoot, ino, fh, Buffer.from('W'), 6)).toBe(1)
    const buffer = Buffer.alloc(5)
    expect(await ops.read(asRoot, ino, fh, buffer, 6)).toBe(5)
    expect(buffer.toString()).toBe('World')
    expect(await ops.read(asRoot, ino, fh, buffer, 100)).toBe(0)
    expect(ops.backingFd(fh)).toBe(fh - 1)
    await ops.flush(asRoot, ino, fh)
    await ops.release(asRoot, ino, fh)
    expect(readFileSync(join(box.source, 'file'), 'utf8')).toBe('hello World')
  })

  it('fstat, fchmod, ftruncate and futimens keep working through the handle after the file is unlinked', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'before')
    const ops = await passthrough(box)
    const ino = await new PathWalker(ops).node('/file')
    const fh = await ops.open(asRoot, ino, OpenFlags.O_RDWR)
    await ops.unlink(asRoot, ROOT_INO, 'file')
    await expectFsError(() => ops.lookup(asRoot, ROOT_INO, 'file'), 'ENOENT')
    await ops.write(asRoot, ino, fh, Buffer.from('after!'), 0)
    const buffer = Buffer.alloc(6)
    expect(await ops.read(asRoot, ino, fh, buffer, 0)).toBe(6)
    expect(buffer.toString()).toBe('after!')
    expect(await ops.getattr(asRoot, ino, fh)).toMatchObject({ nlink: 0, size: 6 })
    const changed = await ops.setattr(
      asRoot,
      ino,
      throughHandle(fh, { valid: SetattrValid.MODE | SetattrValid.SIZE | SetattrValid.MTIME, mode: 0o600, size: 2, mtime: { sec: 1234, nsec: 5 } }),
    )
    expect(changed).toMatchObject({ mode: 0o100600, size: 2, nlink: 0, mtime: { sec: 1234, nsec: 5 } })
    await ops.release(asRoot, ino, fh)
  })

  it('keeps working after the file is renamed, and writes land in the renamed file', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'data')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const ino = await at.node('/file')
    const fh = await ops.open(asRoot, ino, OpenFlags.O_WRONLY)
    await ops.rename(asRoot, ROOT_INO, 'file', ROOT_INO, 'moved', 0)
    await ops.write(asRoot, ino, fh, Buffer.from('DATA'), 0)
    await ops.fsync(asRoot, ino, fh, false)
    await ops.fsync(asRoot, ino, fh, true)
    await ops.release(asRoot, ino, fh)
    expect(await at.read('/moved')).toBe('DATA')
  })

  it('ftruncate grows and shrinks through the handle', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), '0123456789')
    const ops = await passthrough(box)
    const ino = await new PathWalker(ops).node('/file')
    const fh = await ops.open(asRoot, ino, OpenFlags.O_RDWR)
    expect((await ops.setattr(asRoot, ino, throughHandle(fh, { valid: SetattrValid.SIZE, size: 4 }))).size).toBe(4)
    await ops.setattr(asRoot, ino, throughHandle(fh, { valid: SetattrValid.SIZE, size: 8192 }))
    expect(statSync(join(box.source, 'file')).size).toBe(8192)
    await ops.release(asRoot, ino, fh)
  })

  it('opens with O_TRUNC, and O_APPEND writes go to the end even when the file grew underneath', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'log'), 'one\n')
    const ops = await passthrough(box)
    const ino = await new PathWalker(ops).node('/log')
    const fh = await ops.open(asRoot, ino, OpenFlags.O_WRONLY | OpenFlags.O_APPEND)
    writeFileSync(join(box.source, 'log'), 'two\n', { flag: 'a' })
    await ops.write(asRoot, ino, fh, Buffer.from('three\n'), 4)
    await ops.release(asRoot, ino, fh)
    expect(readFileSync(join(box.source, 'log'), 'utf8')).toBe('one\ntwo\nthree\n')
    await ops.release(asRoot, ino, await ops.open(asRoot, ino, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC))
    expect(lstatSync(join(box.source, 'log')).size).toBe(0)
  })

  it('refuses a handle it never gave out, and one already released', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const ino = await new PathWalker(ops).node('/file')
    await expectFsError(() => ops.read(asRoot, ino, 12345, Buffer.alloc(1), 0), 'EBADF')
    const fh = await ops.open(asRoot, ino, OpenFlags.O_RDONLY)
    await ops.release(asRoot, ino, fh)
    await expectFsError(() => ops.getattr(asRoot, ino, fh), 'EBADF')
  })
})

describe('release', () => {
  it('waits for an fsync still running on the descriptor before closing it', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x'.repeat(1 << 20))
    const ops = await passthrough(box)
    const ino = await new PathWalker(ops).node('/file')
    const fh = await ops.open(asRoot, ino, OpenFlags.O_RDWR)
    const write = ops.write(asRoot, ino, fh, Buffer.from('y'), 0)
    const synced = ops.fsync(asRoot, ino, fh, false)
    const released = ops.release(asRoot, ino, fh)
    expect(await write).toBe(1)
    await synced
    await released
    await expectFsError(() => ops.read(asRoot, ino, fh, Buffer.alloc(1), 0), 'EBADF')
  })
})
