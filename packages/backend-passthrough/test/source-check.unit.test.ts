import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags, ROOT_INO, SetattrValid, Timespec } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'
import { PathWalker } from './path-walker.js'

describe('the source is checked when the mount is made', () => {
  it('refuses a source that does not exist or is not a directory', async () => {
    const box = sandbox()
    await expect(passthrough({ ...box, source: join(box.base, 'nope') })).rejects.toThrow(/ENOENT: source .*nope does not exist/)
    writeFileSync(join(box.base, 'file'), 'x')
    await expect(passthrough({ ...box, source: join(box.base, 'file') })).rejects.toThrow(/ENOTDIR: source .*file is not a directory/)
  })

  it('refuses to mount the source onto itself, inside itself, or over a directory that holds it', async () => {
    const box = sandbox()
    await expect(passthrough({ ...box, mountpoint: box.source })).rejects.toThrow(/EINVAL: cannot mount .* onto itself/)
    mkdirSync(join(box.source, 'inner'))
    await expect(passthrough({ ...box, mountpoint: join(box.source, 'inner') })).rejects.toThrow(/EINVAL: mountpoint .* lies inside the source/)
    await expect(passthrough({ ...box, mountpoint: box.base })).rejects.toThrow(/EINVAL: source .* lies inside the mountpoint/)
  })

  it('compares real paths, so a symlink to the source is caught too', async () => {
    const box = sandbox()
    symlinkSync(box.source, join(box.base, 'alias'))
    await expect(passthrough({ ...box, mountpoint: join(box.base, 'alias') })).rejects.toThrow(/onto itself/)
    await expect(passthrough({ ...box, source: join(box.base, 'alias'), mountpoint: join(box.source, 'inner2') })).rejects.toThrow(
      /mountpoint .* does not exist/,
    )
  })
})

describe('read-only', () => {
  it('refuses every change with EROFS and still serves reads', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'content')
    mkdirSync(join(box.source, 'dir'))
    const ops = await passthrough(box, {}, { readOnly: true })
    const at = new PathWalker(ops)
    expect(await at.read('/file')).toBe('content')
    const file = await at.node('/file')
    const fh = await ops.open(asRoot, file, OpenFlags.O_RDONLY)
    const t = Timespec.fromMillis(0)
    const change = (valid: number) => ({ valid, mode: 0o777, uid: 1, gid: 1, size: 0, atime: t, mtime: t, ctime: t })
    await expectFsError(() => ops.write(asRoot, file, fh, Buffer.from('x'), 0), 'EROFS')
    await expectFsError(() => ops.setattr(asRoot, file, { ...change(SetattrValid.SIZE | SetattrValid.FH), fh }), 'EROFS')
    await expectFsError(() => ops.fallocate(asRoot, file, fh, 0, 0, 10), 'EROFS')
    await expectFsError(() => ops.copyFileRange(asRoot, file, fh, 0, file, fh, 10, 1, 0), 'EROFS')
    await ops.release(asRoot, file, fh)
    await expectFsError(() => ops.open(asRoot, file, OpenFlags.O_WRONLY), 'EROFS')
    await expectFsError(() => ops.open(asRoot, file, OpenFlags.O_RDONLY | OpenFlags.O_TRUNC), 'EROFS')
    await expectFsError(() => ops.create(asRoot, ROOT_INO, 'new', 0o644, OpenFlags.O_RDWR | OpenFlags.O_CREAT), 'EROFS')
    await expectFsError(() => ops.mkdir(asRoot, ROOT_INO, 'newdir', 0o755), 'EROFS')
    await expectFsError(() => ops.mknod(asRoot, ROOT_INO, 'fifo', 0o10644, 0), 'EROFS')
    await expectFsError(() => ops.symlink(asRoot, 'file', ROOT_INO, 'other'), 'EROFS')
    await expectFsError(() => ops.link(asRoot, file, ROOT_INO, 'other'), 'EROFS')
    await expectFsError(() => ops.unlink(asRoot, ROOT_INO, 'file'), 'EROFS')
    await expectFsError(() => ops.rmdir(asRoot, ROOT_INO, 'dir'), 'EROFS')
    await expectFsError(() => ops.rename(asRoot, ROOT_INO, 'file', ROOT_INO, 'other', 0), 'EROFS')
    for (const valid of [SetattrValid.MODE, SetattrValid.UID, SetattrValid.ATIME | SetattrValid.MTIME, SetattrValid.SIZE]) {
      await expectFsError(() => ops.setattr(asRoot, file, change(valid)), 'EROFS')
    }
    await expectFsError(() => ops.setxattr(asRoot, file, 'user.x', Buffer.from('v'), 0), 'EROFS')
    await expectFsError(() => ops.removexattr(asRoot, file, 'user.x'), 'EROFS')
    expect(await at.names('/')).toEqual(['dir', 'file'])
  })
})
