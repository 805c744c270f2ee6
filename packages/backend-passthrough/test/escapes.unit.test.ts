import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs'
import { join } from 'node:path'
import { FileType, OpenFlags, ROOT_INO, SetattrValid, Timespec, type SetattrRequest, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import type { PassthroughInodes } from '../src/passthrough.js'
import { asRoot, expectFsError, passthrough, sandbox, xattrNames, type Sandbox } from './helpers.js'
import { PathWalker } from './path-walker.js'

const CREATE = OpenFlags.O_RDWR | OpenFlags.O_CREAT

/** A setattr request changing `valid`'s fields to harmless values. */
function setattrRequest(valid: number): SetattrRequest {
  const epoch = Timespec.fromMillis(0)
  return { valid, mode: 0o777, uid: 1, gid: 1, size: 0, atime: epoch, mtime: epoch, ctime: epoch }
}

/** Every operation that takes a name in the directory node `dir`, as thunks: (what, run). */
function attemptsIn(ops: PassthroughInodes, dir: number, kept: number): Array<[string, () => Promise<unknown>]> {
  return [
    ['lookup', async () => orThrow(ops.lookup(asRoot, dir, 'target'))],
    ['create', async () => ops.create(asRoot, dir, 'new', 0o644, CREATE)],
    ['mknod', async () => ops.mknod(asRoot, dir, 'fifo', FileType.S_IFIFO | 0o644, 0)],
    ['mkdir', async () => ops.mkdir(asRoot, dir, 'newdir', 0o755)],
    ['symlink', async () => ops.symlink(asRoot, 'x', dir, 'newlink')],
    ['link', async () => ops.link(asRoot, kept, dir, 'hard')],
    ['rename into', async () => ops.rename(asRoot, ROOT_INO, 'kept', dir, 'target', 0)],
    ['rename out of', async () => ops.rename(asRoot, dir, 'target', ROOT_INO, 'stolen', 0)],
    ['exchange', async () => ops.rename(asRoot, ROOT_INO, 'kept', dir, 'target', 2)],
    ['unlink', async () => ops.unlink(asRoot, dir, 'target')],
    ['rmdir', async () => ops.rmdir(asRoot, dir, 'target')],
  ]
}

/** Every operation on the node `ino` itself. */
function attemptsOn(ops: PassthroughInodes, ino: number): Array<[string, () => Promise<unknown>]> {
  return [
    ['open for writing', async () => ops.open(asRoot, ino, OpenFlags.O_WRONLY)],
    ['chmod', async () => ops.setattr(asRoot, ino, setattrRequest(SetattrValid.MODE))],
    ['truncate', async () => ops.setattr(asRoot, ino, setattrRequest(SetattrValid.SIZE))],
    ['setxattr', async () => ops.setxattr(asRoot, ino, 'user.x', Buffer.from('v'), 0)],
    ['readdir', async () => [...(await ops.readdir(asRoot, ino, 0, 0, true))]],
  ]
}

function expectOutsideUntouched(box: Sandbox, before: Stats, entries: string[]): void {
  expect(readdirSync(box.outside).sort()).toEqual(entries)
  expect(readFileSync(box.target, 'utf8')).toBe('outside data\n')
  const after = statSync(box.target)
  expect([after.mode, after.uid, after.gid, after.mtimeMs, after.nlink]).toEqual([before.mode, before.uid, before.gid, before.mtimeMs, before.nlink])
  expect(xattrNames(box.target)).toEqual([])
}

/** Replaces source/dir by a symlink to `to`, as another process could at any moment. */
function swapInSymlink(source: string, to: string): void {
  renameSync(join(source, 'dir'), join(source, 'dir.old'))
  symlinkSync(to, join(source, 'dir'))
}

describe('a name is one component: nothing but a name in its directory is ever reached', () => {
  it.each(['..', '.', '', '../outside', 'dir/..', 'dir/target', '/etc', 'x\0y'])('refuses %j with EACCES in every call that takes a name', async (name) => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'kept'), 'inside')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const dir = await at.node('/dir')
    const kept = await at.node('/kept')
    const before = statSync(box.target)
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['lookup', async () => orThrow(ops.lookup(asRoot, dir, name))],
      ['create', async () => ops.create(asRoot, dir, name, 0o644, CREATE)],
      ['mknod', async () => ops.mknod(asRoot, dir, name, FileType.S_IFIFO | 0o644, 0)],
      ['mkdir', async () => ops.mkdir(asRoot, dir, name, 0o755)],
      ['symlink', async () => ops.symlink(asRoot, 'x', dir, name)],
      ['link', async () => ops.link(asRoot, kept, dir, name)],
      ['unlink', async () => ops.unlink(asRoot, dir, name)],
      ['rmdir', async () => ops.rmdir(asRoot, dir, name)],
      ['rename from', async () => ops.rename(asRoot, dir, name, ROOT_INO, 'moved', 0)],
      ['rename to', async () => ops.rename(asRoot, ROOT_INO, 'kept', dir, name, 0)],
    ]
    for (const [what, call] of calls) await expect(call(), what).rejects.toMatchObject({ code: 'EACCES' })
    expectOutsideUntouched(box, before, ['target'])
    expect(readdirSync(join(box.source, 'dir'))).toEqual([])
  })
})

describe('no symlink is followed, whatever another process swaps in', () => {
  it('a directory swapped for a symlink: looked up again it is the link, and nothing is reached through it', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'kept'), 'inside')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const kept = await at.node('/kept')
    swapInSymlink(box.source, box.outside)
    const before = statSync(box.target)
    const link = await at.entry('/dir')
    expect(link.attr.mode & FileType.S_IFMT).toBe(FileType.S_IFLNK)
    for (const [what, attempt] of attemptsIn(ops, link.ino, kept)) {
      // Beneath a symlink's descriptor there is no directory to look in.
      await expect(attempt(), what).rejects.toMatchObject({ code: 'ENOTDIR' })
    }
    for (const [what, attempt] of attemptsOn(ops, link.ino)) await expect(attempt(), what).rejects.toBeDefined()
    expectOutsideUntouched(box, before, ['target'])
  })

  it('a directory node held from before the swap stays the real directory, inside the source', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'dir/target'), 'inside')
    writeFileSync(join(box.source, 'kept'), 'inside')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const dir = await at.node('/dir')
    swapInSymlink(box.source, box.outside)
    const before = statSync(box.target)
    await ops.setattr(asRoot, await at.node('/dir.old/target'), setattrRequest(SetattrValid.MODE))
    await ops.release(asRoot, 0, (await ops.create(asRoot, dir, 'new', 0o644, CREATE)).fh)
    await ops.mkdir(asRoot, dir, 'newdir', 0o755)
    await ops.unlink(asRoot, dir, 'target')
    expect(readdirSync(join(box.source, 'dir.old')).sort()).toEqual(['new', 'newdir'])
    expectOutsideUntouched(box, before, ['target'])
  })

  it('a directory higher up swapped for a symlink: the path below it is not reachable by name', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    mkdirSync(join(box.outside, 'inner'))
    writeFileSync(join(box.outside, 'inner/target'), 'outside data\n')
    swapInSymlink(box.source, box.outside)
    const before = statSync(box.target)
    await expectFsError(() => at.node('/dir/inner'), 'ENOTDIR')
    await expectFsError(() => at.node('/dir/inner/target'), 'ENOTDIR')
    expectOutsideUntouched(box, before, ['inner', 'target'])
    expect(readFileSync(join(box.outside, 'inner/target'), 'utf8')).toBe('outside data\n')
  })

  it('a symlinked directory that stays inside the source is not followed either', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'real'))
    writeFileSync(join(box.source, 'real/file'), 'x')
    symlinkSync('real', join(box.source, 'alias'))
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    // The kernel resolves symlinks itself; a lookup beneath one finds no directory.
    await expectFsError(() => at.node('/alias/file'), 'ENOTDIR')
    expect((await at.entry('/real/file')).attr.size).toBe(1)
  })

  it('a directory swapped back and forth with a symlink while lookups and creates run never lets one through', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const before = statSync(box.target)
    const dir = join(box.source, 'dir')
    const swapper = spawn('sh', ['-c', `while :; do mv ${dir} ${dir}.x; ln -s ${box.outside} ${dir}; rm ${dir}; mv ${dir}.x ${dir}; done`], { stdio: 'ignore' })
    try {
      let created = 0
      for (let i = 0; i < 3000; i++) {
        try {
          const [parent, name] = await at.parent(`/dir/file-${i}`)
          try {
            const file = await ops.create(asRoot, parent, name, 0o644, CREATE)
            await ops.release(asRoot, file.ino, file.fh)
            await ops.setattr(asRoot, file.ino, setattrRequest(SetattrValid.MODE | SetattrValid.SIZE))
            ops.forget(file.ino, 1)
            created++
          } finally {
            ops.forget(parent, 1)
          }
        } catch (error) {
          // Missed the directory (ENOENT, ENOTDIR): anything else is a failure.
          expect(['ENOENT', 'ENOTDIR'], String(error)).toContain((error as { code?: string }).code)
        }
      }
      expect(created).toBeGreaterThan(0)
    } finally {
      swapper.kill()
      await new Promise((resolve) => swapper.once('exit', resolve))
    }
    expectOutsideUntouched(box, before, ['target'])
  })
})

describe('nodes are inodes: renames made directly in the source', () => {
  it('a lookup by name finds the directory that has the name now; a held node stays the one renamed away', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
    writeFileSync(join(box.source, 'dir/inner/file'), 'old')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const oldInner = await at.node('/dir/inner')
    renameSync(join(box.source, 'dir'), join(box.source, 'old'))
    mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
    writeFileSync(join(box.source, 'dir/inner/file'), 'new!!')
    expect((await at.entry('/dir/inner/file')).attr.size).toBe(5)
    const newInner = await at.node('/dir/inner')
    expect(newInner).not.toBe(oldInner)
    await ops.release(asRoot, 0, (await ops.create(asRoot, newInner, 'created', 0o644, CREATE)).fh)
    await ops.release(asRoot, 0, (await ops.create(asRoot, oldInner, 'held', 0o644, CREATE)).fh)
    expect(readdirSync(join(box.source, 'dir/inner')).sort()).toEqual(['created', 'file'])
    expect(readdirSync(join(box.source, 'old/inner')).sort()).toEqual(['file', 'held'])
  })

  it('the root stays the source directory it was opened on when that is renamed', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
    const ops = await passthrough(box)
    const renamed = join(box.base, 'renamed')
    renameSync(box.source, renamed)
    mkdirSync(box.source)
    await ops.release(asRoot, 0, (await ops.create(asRoot, ROOT_INO, 'file', 0o644, CREATE)).fh)
    expect(readdirSync(renamed).sort()).toEqual(['dir', 'file'])
    expect(readdirSync(box.source)).toEqual([])
  })

  it('a directory moved out of the source is not reached by name; a node the kernel still holds follows it (documented)', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/inner'), { recursive: true })
    writeFileSync(join(box.source, 'dir/inner/target'), 'inside\n')
    const ops = await passthrough(box)
    const at = new PathWalker(ops)
    const held = await at.node('/dir/inner')
    // Moved directly in the source by a process with write access to both places.
    renameSync(join(box.source, 'dir'), join(box.outside, 'moved'))
    await expectFsError(() => at.node('/dir'), 'ENOENT')
    await expectFsError(() => at.node('/dir/inner/target'), 'ENOENT')
    // Like a process's open directory or working directory, the node is the inode, wherever it went.
    expect((orThrow(ops.lookup(asRoot, held, 'target'))).attr.size).toBe(7)
  })
})
