import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FileType, OpenFlags, ROOT_INO, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'
import { PathWalker } from './path-walker.js'

describe('errors carry the errno of the call on the source', () => {
  it('ENOENT for a missing entry', async () => {
    const ops = await passthrough(sandbox())
    await expectFsError(() => ops.lookup(asRoot, ROOT_INO, 'missing'), 'ENOENT')
    await expectFsError(() => ops.unlink(asRoot, ROOT_INO, 'missing'), 'ENOENT')
    await expectFsError(() => ops.rename(asRoot, ROOT_INO, 'missing', ROOT_INO, 'other', 0), 'ENOENT')
  })

  it('EEXIST for mkdir, symlink, link and mknod onto an existing name', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).write('/file', 'x')
    await expectFsError(() => ops.mkdir(asRoot, ROOT_INO, 'dir', 0o755), 'EEXIST')
    await expectFsError(() => ops.symlink(asRoot, 'x', ROOT_INO, 'dir'), 'EEXIST')
    await expectFsError(() => ops.link(asRoot, file.ino, ROOT_INO, 'dir'), 'EEXIST')
    await expectFsError(() => ops.mknod(asRoot, ROOT_INO, 'file', FileType.S_IFIFO | 0o644, 0), 'EEXIST')
    await expectFsError(() => ops.create(asRoot, ROOT_INO, 'file', 0o644, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL), 'EEXIST')
  })

  it('ENOTEMPTY, ENOTDIR, EISDIR and EINVAL as the source filesystem says', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'dir/file'), 'x')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const dir = await at.node('/dir')
    const file = await at.node('/dir/file')
    await expectFsError(() => ops.rmdir(asRoot, ROOT_INO, 'dir'), 'ENOTEMPTY')
    await expectFsError(() => ops.lookup(asRoot, file, 'below'), 'ENOTDIR')
    await expectFsError(() => ops.rmdir(asRoot, dir, 'file'), 'ENOTDIR')
    await expectFsError(() => ops.unlink(asRoot, ROOT_INO, 'dir'), 'EISDIR')
    await expectFsError(() => ops.readlink(asRoot, file), 'EINVAL')
    await expectFsError(() => ops.rename(asRoot, ROOT_INO, 'dir', dir, 'sub', 0), 'EINVAL')
    await expectFsError(() => ops.readdir(asRoot, file, 0, 0, false), 'ENOTDIR')
  })

  it('opening anything but a regular file is refused: ELOOP for a symlink, EISDIR, ENXIO for a FIFO', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    symlinkSync('file', join(box.source, 'link'))
    mkdirSync(join(box.source, 'dir'))
    execFileSync('mkfifo', [join(box.source, 'fifo')])
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    await expectFsError(async () => ops.open(asRoot, await at.node('/link'), OpenFlags.O_RDONLY), 'ELOOP')
    await expectFsError(async () => ops.open(asRoot, await at.node('/dir'), OpenFlags.O_RDONLY), 'EISDIR')
    // Opening a FIFO would wait for a writer: the kernel opens special files itself.
    await expectFsError(async () => ops.open(asRoot, await at.node('/fifo'), OpenFlags.O_RDONLY), 'ENXIO')
  })

  it('ENAMETOOLONG for a name over 255 bytes', async () => {
    const ops = await passthrough(sandbox())
    await expectFsError(() => ops.mkdir(asRoot, ROOT_INO, 'n'.repeat(256), 0o755), 'ENAMETOOLONG')
    await expectFsError(() => ops.lookup(asRoot, ROOT_INO, 'n'.repeat(256)), 'ENAMETOOLONG')
  })

  it('ESTALE for a node never handed out or forgotten', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await expectFsError(() => ops.getattr(asRoot, 12345), 'ESTALE')
    const { ino } = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
    ops.forget(ino, 1)
    await expectFsError(() => ops.getattr(asRoot, ino), 'ESTALE')
  })

  it('EXDEV for a rename across filesystems inside the source', async () => {
    const box = sandbox()
    const other = join(box.source, 'other-fs')
    mkdirSync(other)
    // As root (which the test suite runs as, for FUSE) a tmpfs can be mounted inside the source.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'fusekit-test', other])
    try {
      writeFileSync(join(box.source, 'file'), 'x')
      const ops = await passthrough(box)
      const at = new PathWalker(ops)
      const otherFs = await at.node('/other-fs')
      await expectFsError(() => ops.rename(asRoot, ROOT_INO, 'file', otherFs, 'file', 0), 'EXDEV')
      await expectFsError(async () => ops.link(asRoot, await at.node('/file'), otherFs, 'file'), 'EXDEV')
      await ops.destroy()
    } finally {
      execFileSync('umount', [other])
    }
  })

  it('ENODATA for a missing xattr, EEXIST and ENODATA for the create/replace flags', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const file = await new PathWalker(ops).node('/file')
    await expectFsError(() => ops.getxattr(asRoot, file, 'user.none'), 'ENODATA')
    await expectFsError(() => ops.removexattr(asRoot, file, 'user.none'), 'ENODATA')
    await expectFsError(() => ops.setxattr(asRoot, file, 'user.none', Buffer.from('v'), 2), 'ENODATA')
    await ops.setxattr(asRoot, file, 'user.some', Buffer.from('v'), 1)
    await expectFsError(() => ops.setxattr(asRoot, file, 'user.some', Buffer.from('w'), 1), 'EEXIST')
    expect((await ops.getxattr(asRoot, file, 'user.some')).toString()).toBe('v')
  })
})
