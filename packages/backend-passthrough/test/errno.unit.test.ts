import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, passthrough, sandbox, writeThrough } from './helpers.js'

describe('errors carry the errno of the call on the source', () => {
  it('ENOENT for a missing entry', async () => {
    const ops = await passthrough(sandbox())
    await expectFsError(ops.getattr('/missing'), 'ENOENT')
    await expectFsError(ops.open('/missing', OpenFlags.O_RDONLY), 'ENOENT')
    await expectFsError(ops.unlink('/missing'), 'ENOENT')
  })

  it('EEXIST for mkdir, symlink and link onto an existing name', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    const ops = await passthrough(box)
    await expectFsError(ops.mkdir('/dir', 0o755), 'EEXIST')
    await expectFsError(ops.symlink('x', '/dir'), 'EEXIST')
    await writeThrough(ops, '/file', 'x')
    await expectFsError(ops.link('/file', '/dir'), 'EEXIST')
    await expectFsError(ops.mknod('/file', 0o10644, 0), 'EEXIST')
  })

  it('ENOTEMPTY, ENOTDIR, EISDIR and EINVAL as the source filesystem says', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'dir/file'), 'x')
    const ops = await passthrough(box)
    await expectFsError(ops.rmdir('/dir'), 'ENOTEMPTY')
    await expectFsError(ops.getattr('/dir/file/below'), 'ENOTDIR')
    await expectFsError(ops.rmdir('/dir/file'), 'ENOTDIR')
    await expectFsError(ops.unlink('/dir'), 'EISDIR')
    await expectFsError(ops.readlink('/dir/file'), 'EINVAL')
    await expectFsError(ops.rename('/dir', '/dir/sub'), 'EINVAL')
  })

  it('ELOOP for opening a symlink: the kernel resolves links itself, so the backend never follows one', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    symlinkSync('file', join(box.source, 'link'))
    const ops = await passthrough(box)
    await expectFsError(ops.open('/link', OpenFlags.O_RDONLY), 'ELOOP')
    await expectFsError(ops.truncate('/link', 0), 'ELOOP')
  })

  it('ENAMETOOLONG for a name over 255 bytes', async () => {
    const ops = await passthrough(sandbox())
    await expectFsError(ops.mkdir('/' + 'n'.repeat(256), 0o755), 'ENAMETOOLONG')
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
      await expectFsError(ops.rename('/file', '/other-fs/file'), 'EXDEV')
      await expectFsError(ops.link('/file', '/other-fs/file'), 'EXDEV')
    } finally {
      execFileSync('umount', [other])
    }
  })

  it('ENODATA for a missing xattr, EEXIST and ENODATA for the create/replace flags', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    await expectFsError(ops.getxattr('/file', 'user.none'), 'ENODATA')
    await expectFsError(ops.removexattr('/file', 'user.none'), 'ENODATA')
    await expectFsError(ops.setxattr('/file', 'user.none', Buffer.from('v'), 2), 'ENODATA')
    await ops.setxattr('/file', 'user.some', Buffer.from('v'), 1)
    await expectFsError(ops.setxattr('/file', 'user.some', Buffer.from('w'), 1), 'EEXIST')
    await expectFsError(ops.getxattr('/missing', 'user.some'), 'ENOENT')
    expect((await ops.getxattr('/file', 'user.some')).toString()).toBe('v')
  })
})
