import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FileType, FsError, OpenFlags, ROOT_INO, SetattrValid, Timespec } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { asRoot, passthrough, sandbox } from './helpers.js'

const SEEK_DATA = 3

describe('answers in the same turn', () => {
  it('every operation but fsync, fsyncdir and a release waiting for one returns its result, not a Promise', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'data')
    const ops = await passthrough(box)
    const answers: Record<string, unknown> = {}
    const answer = <T>(name: string, value: T): T => {
      answers[name] = value
      return value
    }
    const file = answer('lookup', ops.lookup(asRoot, ROOT_INO, 'file')) as { ino: number }
    answer('getattr', ops.getattr(asRoot, file.ino))
    const now = Timespec.now()
    answer('setattr', ops.setattr(asRoot, file.ino, { valid: SetattrValid.MODE, mode: 0o600, uid: 0, gid: 0, size: 0, atime: now, mtime: now, ctime: now }))
    answer('access', ops.access(asRoot, file.ino, 0))
    answer('statfs', ops.statfs(asRoot, ROOT_INO))
    const dir = answer('mkdir', ops.mkdir(asRoot, ROOT_INO, 'dir', 0o755))
    answer('mknod', ops.mknod(asRoot, dir.ino, 'fifo', FileType.S_IFIFO | 0o644, 0))
    const link = answer('symlink', ops.symlink(asRoot, 'file', dir.ino, 'link'))
    answer('readlink', ops.readlink(asRoot, link.ino))
    answer('link', ops.link(asRoot, file.ino, dir.ino, 'hard'))
    const created = answer('create', ops.create(asRoot, dir.ino, 'new', 0o644, OpenFlags.O_RDWR | OpenFlags.O_CREAT))
    answer('write', ops.write(asRoot, created.ino, created.fh, Buffer.from('abc'), 0))
    answer('read', ops.read(asRoot, created.ino, created.fh, Buffer.alloc(3), 0))
    answer('fallocate', ops.fallocate(asRoot, created.ino, created.fh, 0, 0, 8))
    answer('lseek', ops.lseek(asRoot, created.ino, created.fh, 0, SEEK_DATA))
    const fh = answer('open', ops.open(asRoot, file.ino, OpenFlags.O_RDONLY))
    answer('copyFileRange', ops.copyFileRange(asRoot, file.ino, fh, 0, created.ino, created.fh, 0, 4, 0))
    answer('flush', ops.flush(asRoot, created.ino, created.fh))
    answer('release', ops.release(asRoot, created.ino, created.fh))
    ops.release(asRoot, file.ino, fh)
    answer('setxattr', ops.setxattr(asRoot, file.ino, 'user.x', Buffer.from('v'), 0))
    answer('getxattr', ops.getxattr(asRoot, file.ino, 'user.x'))
    answer('listxattr', ops.listxattr(asRoot, file.ino))
    answer('removexattr', ops.removexattr(asRoot, file.ino, 'user.x'))
    answer('readdir', ops.readdir(asRoot, dir.ino, 0, 0, true))
    answer('rename', ops.rename(asRoot, dir.ino, 'new', dir.ino, 'renamed', 0))
    answer('unlink', ops.unlink(asRoot, dir.ino, 'renamed'))
    for (const name of ['fifo', 'link', 'hard']) ops.unlink(asRoot, dir.ino, name)
    answer('rmdir', ops.rmdir(asRoot, ROOT_INO, 'dir'))
    const promises = Object.entries(answers).filter(([, value]) => value instanceof Promise)
    expect(promises.map(([name]) => name)).toEqual([])
    // A failure is thrown at once, as the errno the dispatcher replies with; lookup returns its own.
    expect(ops.lookup(asRoot, ROOT_INO, 'missing')).toBe(FsError.of('ENOENT'))
    expect(() => ops.getattr(asRoot, 12345)).toThrow(FsError)
  })
})
