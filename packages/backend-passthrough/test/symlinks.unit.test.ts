import { lstatSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { Timespec } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, passthrough, sandbox, type Sandbox, xattrNames } from './helpers.js'

/** A source holding `link` -> the outside target (absolute), and a snapshot of the target. */
async function linkToOutside(): Promise<{ box: Sandbox; ops: Awaited<ReturnType<typeof passthrough>>; untouched: () => void }> {
  const box = sandbox()
  symlinkSync(box.target, join(box.source, 'link'))
  const before = statSync(box.target)
  const ops = await passthrough(box)
  const untouched = () => {
    const now = statSync(box.target)
    expect(readFileSync(box.target, 'utf8')).toBe('outside data\n')
    expect({ mode: now.mode, uid: now.uid, gid: now.gid, size: now.size, mtimeMs: now.mtimeMs, atimeMs: now.atimeMs }).toEqual({
      mode: before.mode,
      uid: before.uid,
      gid: before.gid,
      size: before.size,
      mtimeMs: before.mtimeMs,
      atimeMs: before.atimeMs,
    })
    expect(xattrNames(box.target)).toEqual([])
  }
  return { box, ops, untouched }
}

describe('operations on a symlink act on the link, never on its target', () => {
  it('getattr and readlink show the link itself', async () => {
    const { box, ops } = await linkToOutside()
    const st = await ops.getattr('/link')
    expect(st.mode & 0o170000).toBe(0o120000)
    expect(st.size).toBe(box.target.length)
    expect(await ops.readlink('/link')).toBe(box.target)
  })

  it('chmod answers EOPNOTSUPP (Linux cannot change a link mode) and leaves the target alone', async () => {
    const { ops, untouched } = await linkToOutside()
    await expectFsError(ops.chmod('/link', 0o777), 'EOPNOTSUPP')
    untouched()
  })

  it('chown changes the link owner only', async () => {
    const { box, ops, untouched } = await linkToOutside()
    await ops.chown('/link', 4321, 8765)
    const link = lstatSync(join(box.source, 'link'))
    expect([link.uid, link.gid]).toEqual([4321, 8765])
    untouched()
  })

  it('utimens sets the link times only', async () => {
    const { box, ops, untouched } = await linkToOutside()
    await ops.utimens('/link', Timespec.fromMillis(1_000_000), Timespec.fromMillis(2_000_000))
    expect(lstatSync(join(box.source, 'link')).mtimeMs).toBe(2_000_000)
    untouched()
  })

  it('truncate and open refuse with ELOOP', async () => {
    const { ops, untouched } = await linkToOutside()
    await expectFsError(ops.truncate('/link', 0), 'ELOOP')
    await expectFsError(ops.open('/link', 2), 'ELOOP')
    untouched()
  })

  it('setxattr of a user attribute is refused for the link (EPERM), a trusted one is set on the link', async () => {
    const { box, ops, untouched } = await linkToOutside()
    await expectFsError(ops.setxattr('/link', 'user.x', Buffer.from('v'), 0), 'EPERM')
    await ops.setxattr('/link', 'trusted.x', Buffer.from('v'), 0)
    expect(await ops.listxattr('/link')).toEqual(['trusted.x'])
    expect((await ops.getxattr('/link', 'trusted.x')).toString()).toBe('v')
    await ops.removexattr('/link', 'trusted.x')
    expect(await ops.listxattr('/link')).toEqual([])
    expect(lstatSync(join(box.source, 'link')).isSymbolicLink()).toBe(true)
    untouched()
  })

  it('unlink, rename and link handle the link itself', async () => {
    const { box, ops, untouched } = await linkToOutside()
    await ops.link('/link', '/hard')
    expect(lstatSync(join(box.source, 'hard')).isSymbolicLink()).toBe(true)
    await ops.rename('/link', '/renamed')
    await ops.unlink('/renamed')
    await ops.unlink('/hard')
    untouched()
  })

  it('symlink stores any target text without resolving it', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    await ops.symlink('../../../etc/passwd', '/dangling')
    expect(await ops.readlink('/dangling')).toBe('../../../etc/passwd')
    expect(lstatSync(join(box.source, 'dangling')).isSymbolicLink()).toBe(true)
  })
})
