import { chmodSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT_INO, SetattrValid, Timespec } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { passthroughOptions } from '../src/index.js'
import { asRoot, passthrough, sandbox } from './helpers.js'
import { PathWalker } from './path-walker.js'

describe('--uid, --gid and --umask change what is shown, never the source', () => {
  it('shows every entry as owned by --uid/--gid', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box, { uid: 1234, gid: 5678 })
    expect((await new PathWalker(ops).entry('/file')).attr).toMatchObject({ uid: 1234, gid: 5678 })
    expect(await ops.getattr(asRoot, ROOT_INO)).toMatchObject({ uid: 1234, gid: 5678 })
    expect(lstatSync(join(box.source, 'file')).uid).toBe(process.getuid!())
  })

  it('chown still changes the real owner in the source', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box, { uid: 1234 })
    const file = await new PathWalker(ops).node('/file')
    const t = Timespec.fromMillis(0)
    const shown = await ops.setattr(asRoot, file, { valid: SetattrValid.UID | SetattrValid.GID, mode: 0, uid: 42, gid: 43, size: 0, atime: t, mtime: t, ctime: t })
    expect(shown).toMatchObject({ uid: 1234, gid: 43 })
    expect(lstatSync(join(box.source, 'file'))).toMatchObject({ uid: 42, gid: 43 })
  })

  it('clears the --umask bits from every mode shown, keeping the file type and special bits not masked', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    chmodSync(join(box.source, 'file'), 0o4777)
    mkdirSync(join(box.source, 'dir'))
    chmodSync(join(box.source, 'dir'), 0o1777)
    const ops = await passthrough(box, { umask: '027' })
    const at = new PathWalker(ops)
    expect((await at.entry('/file')).attr.mode).toBe(0o100000 | 0o4750)
    expect((await at.entry('/dir')).attr.mode).toBe(0o040000 | 0o1750)
    expect(lstatSync(join(box.source, 'file')).mode & 0o7777).toBe(0o4777)
  })

  it('without options shows the source owners and modes as they are', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x', { mode: 0o640 })
    chmodSync(join(box.source, 'file'), 0o640)
    const ops = await passthrough(box)
    const real = lstatSync(join(box.source, 'file'), { bigint: true })
    const shown = await ops.getattr(asRoot, await new PathWalker(ops).node('/file'))
    expect(shown).toMatchObject({ mode: Number(real.mode), uid: Number(real.uid), gid: Number(real.gid), ino: Number(real.ino), size: 1 })
    expect(BigInt(shown.mtime.sec) * 1_000_000_000n + BigInt(shown.mtime.nsec)).toBe(real.mtimeNs)
  })
})

describe('options schema', () => {
  it('requires --source', () => {
    expect(passthroughOptions.safeParse({}).success).toBe(false)
    expect(passthroughOptions.safeParse({ source: '' }).success).toBe(false)
  })

  it('takes --umask as octal digits only', () => {
    expect(passthroughOptions.parse({ source: '/s', umask: '022' }).umask).toBe(0o22)
    expect(passthroughOptions.parse({ source: '/s', umask: '7777' }).umask).toBe(0o7777)
    for (const umask of ['8', '0x12', '-1', '12345', '', 'rwx']) {
      expect(passthroughOptions.safeParse({ source: '/s', umask }).success, umask).toBe(false)
    }
  })

  it('takes --uid and --gid as non-negative integers below 2^32 - 1', () => {
    expect(passthroughOptions.parse({ source: '/s', uid: 0, gid: 4294967294 })).toMatchObject({ uid: 0, gid: 4294967294 })
    for (const uid of [-1, 1.5, 4294967295]) expect(passthroughOptions.safeParse({ source: '/s', uid }).success, String(uid)).toBe(false)
  })
})
