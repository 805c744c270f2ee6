import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags, Timespec } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, passthrough, sandbox, xattrNames } from './helpers.js'

describe('no request path reaches outside the source', () => {
  it.each(['/..', '/../outside/target', '/dir/../../outside/target', '/./dir', '/dir/.', '//dir', '/dir/', 'dir', '', '/dir\0x'])(
    'refuses %j with EACCES',
    async (path) => {
      const box = sandbox()
      mkdirSync(join(box.source, 'dir'))
      const ops = await passthrough(box)
      await expectFsError(ops.getattr(path), 'EACCES')
      await expectFsError(ops.chmod(path, 0o777), 'EACCES')
      await expectFsError(ops.unlink(path), 'EACCES')
    },
  )

  /** Every operation on paths below `dir`, as thunks: (name, run). */
  const attemptsBelow = (ops: Awaited<ReturnType<typeof passthrough>>, dir: string): Array<[string, () => Promise<unknown>]> => [
    ['getattr', () => ops.getattr(`${dir}/target`)],
    ['open for writing', () => ops.open(`${dir}/target`, OpenFlags.O_WRONLY)],
    ['open for reading', () => ops.open(`${dir}/target`, OpenFlags.O_RDONLY)],
    ['create', () => ops.create(`${dir}/new`, 0o644)],
    ['mknod', () => ops.mknod(`${dir}/fifo`, 0o10644, 0)],
    ['mkdir', () => ops.mkdir(`${dir}/newdir`, 0o755)],
    ['symlink', () => ops.symlink('x', `${dir}/newlink`)],
    ['link', () => ops.link('/kept', `${dir}/hard`)],
    ['rename into', () => ops.rename('/kept', `${dir}/target`)],
    ['rename out of', () => ops.rename(`${dir}/target`, '/stolen')],
    ['chmod', () => ops.chmod(`${dir}/target`, 0o777)],
    ['chown', () => ops.chown(`${dir}/target`, 1, 1)],
    ['utimens', () => ops.utimens(`${dir}/target`, Timespec.fromMillis(0), Timespec.fromMillis(0))],
    ['truncate', () => ops.truncate(`${dir}/target`, 0)],
    ['unlink', () => ops.unlink(`${dir}/target`)],
    ['setxattr', () => ops.setxattr(`${dir}/target`, 'user.x', Buffer.from('v'), 0)],
    ['removexattr', () => ops.removexattr(`${dir}/target`, 'user.x')],
    ['getxattr', () => ops.getxattr(`${dir}/target`, 'user.x')],
    ['listxattr', () => ops.listxattr(`${dir}/target`)],
    ['readdir', () => ops.readdir(dir)],
    ['readlink', () => ops.readlink(`${dir}/target`)],
    ['statfs', () => ops.statfs(`${dir}/target`)],
  ]

  /** Replaces source/dir by a symlink to `to`, as another process could between lookup and operation. */
  function swapInSymlink(source: string, to: string): void {
    renameSync(join(source, 'dir'), join(source, 'dir.old'))
    symlinkSync(to, join(source, 'dir'))
  }

  function expectOutsideUntouched(box: ReturnType<typeof sandbox>, before: Stats, entries: string[]): void {
    expect(readdirSync(box.outside).sort()).toEqual(entries)
    expect(readFileSync(box.target, 'utf8')).toBe('outside data\n')
    const after = statSync(box.target)
    expect([after.mode, after.uid, after.gid, after.mtimeMs, after.nlink]).toEqual([before.mode, before.uid, before.gid, before.mtimeMs, before.nlink])
    expect(xattrNames(box.target)).toEqual([])
  }

  it('mutates nothing outside when a directory was swapped for a symlink after the lookup', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'kept'), 'inside')
    const ops = await passthrough(box)
    swapInSymlink(box.source, box.outside)
    const before = statSync(box.target)
    for (const [name, attempt] of attemptsBelow(ops, '/dir')) {
      // Paths are resolved without following any symlink (RESOLVE_NO_SYMLINKS): ELOOP.
      await expect(attempt(), name).rejects.toMatchObject({ code: 'ELOOP' })
    }
    expectOutsideUntouched(box, before, ['target'])
  })

  it('mutates nothing outside when a directory higher up was swapped for a symlink', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
    writeFileSync(join(box.source, 'kept'), 'inside')
    const ops = await passthrough(box)
    // outside/inner/target is what /dir/inner/target would reach through the swapped symlink.
    mkdirSync(join(box.outside, 'inner'))
    writeFileSync(join(box.outside, 'inner/target'), 'outside data\n')
    swapInSymlink(box.source, box.outside)
    const before = statSync(box.target)
    const innerBefore = statSync(join(box.outside, 'inner/target'))
    for (const [name, attempt] of attemptsBelow(ops, '/dir/inner')) {
      await expect(attempt(), name).rejects.toMatchObject({ code: 'ELOOP' })
    }
    expectOutsideUntouched(box, before, ['inner', 'target'])
    expect(readdirSync(join(box.outside, 'inner'))).toEqual(['target'])
    expect(statSync(join(box.outside, 'inner/target')).mtimeMs).toBe(innerBefore.mtimeMs)
  })

  it('follows nothing through a symlinked directory that stays inside the source, either', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'real'))
    writeFileSync(join(box.source, 'real/file'), 'x')
    symlinkSync('real', join(box.source, 'alias'))
    const ops = await passthrough(box)
    // The kernel never sends a path through a symlink; if one arrives, it is refused as a symlink.
    await expectFsError(ops.getattr('/alias/file'), 'ELOOP')
    expect((await ops.getattr('/real/file')).size).toBe(1)
  })

  describe('directories reached by earlier requests are reached again by name', () => {
    it('acts on nothing in a directory moved out of the source after it was used', async () => {
      const box = sandbox()
      mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
      writeFileSync(join(box.source, 'dir/inner/target'), 'inside\n')
      writeFileSync(join(box.source, 'kept'), 'inside')
      const ops = await passthrough(box)
      expect((await ops.getattr('/dir/inner/target')).size).toBe(7)
      // Moved directly in the source, not through the mount: the backend is not told.
      renameSync(join(box.source, 'dir'), join(box.outside, 'moved'))
      const movedBefore = statSync(join(box.outside, 'moved/inner/target'))
      for (const [name, attempt] of [...attemptsBelow(ops, '/dir/inner'), ...attemptsBelow(ops, '/dir')]) {
        await expect(attempt(), name).rejects.toMatchObject({ code: 'ENOENT' })
      }
      expect(readdirSync(box.outside).sort()).toEqual(['moved', 'target'])
      expect(readdirSync(join(box.outside, 'moved/inner'))).toEqual(['target'])
      const movedAfter = statSync(join(box.outside, 'moved/inner/target'))
      expect([movedAfter.mode, movedAfter.mtimeMs, movedAfter.size]).toEqual([movedBefore.mode, movedBefore.mtimeMs, movedBefore.size])
    })

    it('reaches the directory that has the name now, not the one renamed away', async () => {
      const box = sandbox()
      mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
      writeFileSync(join(box.source, 'dir/inner/file'), 'old')
      const ops = await passthrough(box)
      expect((await ops.getattr('/dir/inner/file')).size).toBe(3)
      renameSync(join(box.source, 'dir'), join(box.source, 'old'))
      mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
      writeFileSync(join(box.source, 'dir/inner/file'), 'new!!')
      expect((await ops.getattr('/dir/inner/file')).size).toBe(5)
      await ops.release('/dir/inner/created', await ops.create('/dir/inner/created', 0o644))
      expect(readdirSync(join(box.source, 'dir/inner')).sort()).toEqual(['created', 'file'])
      expect(readdirSync(join(box.source, 'old/inner'))).toEqual(['file'])
    })

    it('keeps following the source root when it is renamed, and nothing now at its old path', async () => {
      const box = sandbox()
      mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
      mkdirSync(join(box.source, 'other'))
      const ops = await passthrough(box)
      await expectFsError(ops.getattr('/dir/inner/file'), 'ENOENT')
      const renamed = join(box.base, 'renamed')
      renameSync(box.source, renamed)
      // The directory used above, moved to where it was before the root moved: out of the source.
      mkdirSync(box.source)
      renameSync(join(renamed, 'dir'), join(box.source, 'dir'))
      await expectFsError(ops.create('/dir/inner/file', 0o644), 'ENOENT')
      expect(readdirSync(join(box.source, 'dir/inner'))).toEqual([])
      await ops.release('/other/file', await ops.create('/other/file', 0o644))
      expect(readdirSync(join(renamed, 'other'))).toEqual(['file'])
    })
  })
})
