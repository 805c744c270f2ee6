import { chmodSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { passthroughOptions } from '../src/index.js'
import { passthrough, sandbox } from './helpers.js'

describe('--uid, --gid and --umask change what is shown, never the source', () => {
  it('shows every entry as owned by --uid/--gid', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box, { uid: 1234, gid: 5678 })
    expect(await ops.getattr('/file')).toMatchObject({ uid: 1234, gid: 5678 })
    expect(await ops.getattr('/')).toMatchObject({ uid: 1234, gid: 5678 })
    expect(lstatSync(join(box.source, 'file')).uid).toBe(process.getuid!())
  })

  it('chown still changes the real owner in the source', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box, { uid: 1234 })
    await ops.chown('/file', 42, 43)
    expect(await ops.getattr('/file')).toMatchObject({ uid: 1234, gid: 43 })
    expect(lstatSync(join(box.source, 'file'))).toMatchObject({ uid: 42, gid: 43 })
  })

  it('clears the --umask bits from every mode shown, keeping the file type and special bits not masked', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    chmodSync(join(box.source, 'file'), 0o4777)
    mkdirSync(join(box.source, 'dir'))
    chmodSync(join(box.source, 'dir'), 0o1777)
    const ops = await passthrough(box, { umask: '027' })
    expect((await ops.getattr('/file')).mode).toBe(0o100000 | 0o4750)
    expect((await ops.getattr('/dir')).mode).toBe(0o040000 | 0o1750)
    expect(lstatSync(join(box.source, 'file')).mode & 0o7777).toBe(0o4777)
  })

  it('without options shows the source owners and modes as they are', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x', { mode: 0o640 })
    chmodSync(join(box.source, 'file'), 0o640)
    const ops = await passthrough(box)
    const real = lstatSync(join(box.source, 'file'), { bigint: true })
    const shown = await ops.getattr('/file')
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
