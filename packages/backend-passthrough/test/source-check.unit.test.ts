import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, passthrough, readThrough, sandbox } from './helpers.js'

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
    const ops = await passthrough(box, {}, true)
    expect(await readThrough(ops, '/file')).toBe('content')
    const fh = await ops.open('/file', OpenFlags.O_RDONLY)
    await expectFsError(ops.write('/file', fh, Buffer.from('x'), 0), 'EROFS')
    await expectFsError(ops.ftruncate('/file', fh, 0), 'EROFS')
    await ops.release('/file', fh)
    await expectFsError(ops.open('/file', OpenFlags.O_WRONLY), 'EROFS')
    await expectFsError(ops.open('/file', OpenFlags.O_RDONLY | OpenFlags.O_TRUNC), 'EROFS')
    await expectFsError(ops.create('/new', 0o644), 'EROFS')
    await expectFsError(ops.mkdir('/dir', 0o755), 'EROFS')
    await expectFsError(ops.mknod('/fifo', 0o10644, 0), 'EROFS')
    await expectFsError(ops.unlink('/file'), 'EROFS')
    await expectFsError(ops.rename('/file', '/other'), 'EROFS')
    await expectFsError(ops.link('/file', '/other'), 'EROFS')
    await expectFsError(ops.symlink('file', '/other'), 'EROFS')
    await expectFsError(ops.chmod('/file', 0o777), 'EROFS')
    await expectFsError(ops.chown('/file', 1, 1), 'EROFS')
    await expectFsError(ops.utimens('/file', undefined, undefined), 'EROFS')
    await expectFsError(ops.truncate('/file', 0), 'EROFS')
    await expectFsError(ops.setxattr('/file', 'user.x', Buffer.from('v'), 0), 'EROFS')
    await expectFsError(ops.removexattr('/file', 'user.x'), 'EROFS')
    await expectFsError(ops.rmdir('/'), 'EROFS')
  })
})
