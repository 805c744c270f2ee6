import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, passthrough, readThrough, sandbox } from './helpers.js'

describe('open files keep a real descriptor', () => {
  it('reads and writes at positions through the handle', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const fh = await ops.create('/file', 0o644)
    expect(await ops.write('/file', fh, Buffer.from('hello world'), 0)).toBe(11)
    expect(await ops.write('/file', fh, Buffer.from('W'), 6)).toBe(1)
    const buffer = Buffer.alloc(5)
    expect(await ops.read('/file', fh, buffer, 6)).toBe(5)
    expect(buffer.toString()).toBe('World')
    expect(await ops.read('/file', fh, buffer, 100)).toBe(0)
    await ops.release('/file', fh)
    expect(readFileSync(join(box.source, 'file'), 'utf8')).toBe('hello World')
  })

  it('keeps working after the file is unlinked', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'before')
    const ops = await passthrough(box)
    const fh = await ops.open('/file', OpenFlags.O_RDWR)
    await ops.unlink('/file')
    await expectFsError(ops.getattr('/file'), 'ENOENT')
    await ops.write('/file', fh, Buffer.from('after!'), 0)
    const buffer = Buffer.alloc(6)
    expect(await ops.read('/file', fh, buffer, 0)).toBe(6)
    expect(buffer.toString()).toBe('after!')
    const st = await ops.fgetattr('/file', fh)
    expect(st.nlink).toBe(0)
    expect(st.size).toBe(6)
    await ops.release('/file', fh)
  })

  it('keeps working after the file is renamed, and writes land in the renamed file', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'data')
    const ops = await passthrough(box)
    const fh = await ops.open('/file', OpenFlags.O_WRONLY)
    await ops.rename('/file', '/moved')
    await ops.write('/file', fh, Buffer.from('DATA'), 0)
    await ops.fsync('/file', false, fh)
    await ops.release('/file', fh)
    expect(await readThrough(ops, '/moved')).toBe('DATA')
  })

  it('ftruncate and fgetattr use the handle', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), '0123456789')
    const ops = await passthrough(box)
    const fh = await ops.open('/file', OpenFlags.O_RDWR)
    await ops.ftruncate('/file', fh, 4)
    expect((await ops.fgetattr('/file', fh)).size).toBe(4)
    await ops.ftruncate('/file', fh, 8192)
    expect(statSync(join(box.source, 'file')).size).toBe(8192)
    await ops.release('/file', fh)
  })

  it('refuses a handle it never gave out, and one already released', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await expectFsError(ops.read('/file', 12345, Buffer.alloc(1), 0), 'EBADF')
    const fh = await ops.open('/file', OpenFlags.O_RDONLY)
    await ops.release('/file', fh)
    await expectFsError(ops.fgetattr('/file', fh), 'EBADF')
  })

  it('O_APPEND writes go to the end of the file even when it grew underneath', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'log'), 'one\n')
    const ops = await passthrough(box)
    const fh = await ops.open('/log', OpenFlags.O_WRONLY | OpenFlags.O_APPEND)
    writeFileSync(join(box.source, 'log'), 'two\n', { flag: 'a' })
    await ops.write('/log', fh, Buffer.from('three\n'), 4)
    await ops.release('/log', fh)
    expect(readFileSync(join(box.source, 'log'), 'utf8')).toBe('one\ntwo\nthree\n')
  })

  it('create opens a file that appeared since the lookup instead of failing', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'raced'), 'already here', { mode: 0o600 })
    const ops = await passthrough(box)
    const fh = await ops.create('/raced', 0o666)
    await ops.release('/raced', fh)
    expect(readFileSync(join(box.source, 'raced'), 'utf8')).toBe('already here')
    expect(statSync(join(box.source, 'raced')).mode & 0o777).toBe(0o600)
  })
})

describe('release', () => {
  it('waits for reads and writes still running on the descriptor before closing it', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x'.repeat(1 << 20))
    const ops = await passthrough(box)
    const fh = await ops.open('/file', OpenFlags.O_RDWR)
    const reads = Array.from({ length: 8 }, () => ops.read('/file', fh, Buffer.alloc(1 << 20), 0))
    const write = ops.write('/file', fh, Buffer.from('y'), 0)
    const released = ops.release('/file', fh)
    expect(await Promise.all(reads)).toEqual(Array(8).fill(1 << 20))
    expect(await write).toBe(1)
    await released
    await expectFsError(ops.read('/file', fh, Buffer.alloc(1), 0), 'EBADF')
  })
})
