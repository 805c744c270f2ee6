import { lstatSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags, ROOT_INO, SetattrValid, Timespec, type Entry, type SetattrRequest, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import type { PassthroughInodes } from '../src/passthrough.js'
import { asRoot, expectFsError, passthrough, sandbox, type Sandbox, xattrNames } from './helpers.js'

function setattr(change: Partial<SetattrRequest> & { valid: number }): SetattrRequest {
  const t = Timespec.fromMillis(0)
  return { mode: 0, uid: 0, gid: 0, size: 0, atime: t, mtime: t, ctime: t, ...change }
}

/** A source holding `link` -> the outside target (absolute), its node, and a check that the target is untouched. */
async function linkToOutside(): Promise<{ box: Sandbox; ops: PassthroughInodes; link: Entry; untouched: () => void }> {
  const box = sandbox()
  symlinkSync(box.target, join(box.source, 'link'))
  const before = statSync(box.target)
  const ops = await passthrough(box)
  const link = orThrow(ops.lookup(asRoot, ROOT_INO, 'link'))
  const untouched = () => {
    const now = statSync(box.target)
    expect(readFileSync(box.target, 'utf8')).toBe('outside data\n')
    const fields = (s: typeof now) => ({ mode: s.mode, uid: s.uid, gid: s.gid, size: s.size, mtimeMs: s.mtimeMs, atimeMs: s.atimeMs })
    expect(fields(now)).toEqual(fields(before))
    expect(xattrNames(box.target)).toEqual([])
  }
  return { box, ops, link, untouched }
}

describe('operations on a symlink node act on the link, never on its target', () => {
  it('lookup, getattr and readlink show the link itself', async () => {
    const { box, ops, link } = await linkToOutside()
    expect(link.attr.mode & 0o170000).toBe(0o120000)
    expect(link.attr.size).toBe(box.target.length)
    expect((await ops.getattr(asRoot, link.ino)).ino).toBe(lstatSync(join(box.source, 'link')).ino)
    expect(await ops.readlink(asRoot, link.ino)).toBe(box.target)
  })

  it('chmod answers EOPNOTSUPP (Linux cannot change a link mode) and leaves the target alone', async () => {
    const { ops, link, untouched } = await linkToOutside()
    await expectFsError(() => ops.setattr(asRoot, link.ino, setattr({ valid: SetattrValid.MODE, mode: 0o777 })), 'EOPNOTSUPP')
    untouched()
  })

  it('chown changes the link owner only', async () => {
    const { box, ops, link, untouched } = await linkToOutside()
    await ops.setattr(asRoot, link.ino, setattr({ valid: SetattrValid.UID | SetattrValid.GID, uid: 4321, gid: 8765 }))
    const real = lstatSync(join(box.source, 'link'))
    expect([real.uid, real.gid]).toEqual([4321, 8765])
    untouched()
  })

  it('utimens sets the link times only', async () => {
    const { box, ops, link, untouched } = await linkToOutside()
    const valid = SetattrValid.ATIME | SetattrValid.MTIME
    await ops.setattr(asRoot, link.ino, setattr({ valid, atime: Timespec.fromMillis(1_000_000), mtime: Timespec.fromMillis(2_000_000) }))
    expect(lstatSync(join(box.source, 'link')).mtimeMs).toBe(2_000_000)
    untouched()
  })

  it('truncate is refused (EINVAL: not a regular file) and open with ELOOP', async () => {
    const { ops, link, untouched } = await linkToOutside()
    await expectFsError(() => ops.setattr(asRoot, link.ino, setattr({ valid: SetattrValid.SIZE, size: 0 })), 'EINVAL')
    await expectFsError(() => ops.open(asRoot, link.ino, OpenFlags.O_RDWR), 'ELOOP')
    untouched()
  })

  it('setxattr of a user attribute is refused for the link (EPERM), a trusted one is set on the link', async () => {
    const { box, ops, link, untouched } = await linkToOutside()
    await expectFsError(() => ops.setxattr(asRoot, link.ino, 'user.x', Buffer.from('v'), 0), 'EPERM')
    await ops.setxattr(asRoot, link.ino, 'trusted.x', Buffer.from('v'), 0)
    expect(await ops.listxattr(asRoot, link.ino)).toEqual(['trusted.x'])
    expect((await ops.getxattr(asRoot, link.ino, 'trusted.x')).toString()).toBe('v')
    expect(xattrNames(join(box.source, 'link'))).toEqual(['trusted.x'])
    await ops.removexattr(asRoot, link.ino, 'trusted.x')
    expect(await ops.listxattr(asRoot, link.ino)).toEqual([])
    untouched()
  })

  it('unlink, rename and link handle the link itself', async () => {
    const { box, ops, link, untouched } = await linkToOutside()
    const hard = await ops.link(asRoot, link.ino, ROOT_INO, 'hard')
    expect(hard.ino).toBe(link.ino)
    expect(lstatSync(join(box.source, 'hard')).isSymbolicLink()).toBe(true)
    await ops.rename(asRoot, ROOT_INO, 'link', ROOT_INO, 'renamed', 0)
    await ops.unlink(asRoot, ROOT_INO, 'renamed')
    await ops.unlink(asRoot, ROOT_INO, 'hard')
    untouched()
  })

  it('symlink stores any target text without resolving it', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const made = await ops.symlink(asRoot, '../../../etc/passwd', ROOT_INO, 'dangling')
    expect(await ops.readlink(asRoot, made.ino)).toBe('../../../etc/passwd')
    expect(lstatSync(join(box.source, 'dangling')).isSymbolicLink()).toBe(true)
  })
})
