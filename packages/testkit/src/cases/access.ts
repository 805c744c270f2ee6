import { join } from 'node:path'
import { assert, assertMode } from './assertions.js'
import { S_IFREG } from './constants.js'
import type { PosixCase } from './types.js'

export const accessCases: PosixCase[] = [
  {
    name: 'opening for writing or truncating without write permission is EACCES; the first matching class of the mode decides',
    needs: ['otherUsers'],
    async run(dir, { as, users, groups, make, lstat }) {
      const { alice, bob, carol, root } = users
      await make(join(dir, 'alice-644'), { content: 'data', uid: alice.uid, gid: alice.gid, mode: 0o644 })
      await make(join(dir, 'alice-444'), { content: 'data', uid: alice.uid, gid: alice.gid, mode: 0o444 })
      // Group members are denied what others are allowed: the group class matches first.
      await make(join(dir, 'shared-606'), { content: 'data', uid: alice.uid, gid: groups.shared, mode: 0o606 })
      // The owner is denied what the group and others are allowed.
      await make(join(dir, 'alice-066'), { content: 'data', uid: alice.uid, gid: alice.gid, mode: 0o066 })
      const attempts = ({ fs, errno }: { fs: typeof import('node:fs/promises'); errno: (p: Promise<unknown>) => Promise<string> }, path: string) =>
        (async () => ({
          read: await errno(fs.open(path, 'r').then((h) => h.close())),
          write: await errno(fs.open(path, 'r+').then((h) => h.close())),
          openTrunc: await errno(fs.open(path, 'w').then((h) => h.close())),
          truncate: await errno(fs.truncate(path, 1)),
        }))()
      const denied = { read: 'ok', write: 'EACCES', openTrunc: 'EACCES', truncate: 'EACCES' }
      assert.deepEqual(await as(bob, attempts, join(dir, 'alice-644')), denied, "bob on alice's 0644 file")
      assert.deepEqual(await as(alice, attempts, join(dir, 'alice-444')), denied, 'alice on her own 0444 file')
      assert.deepEqual(await as(carol, attempts, join(dir, 'shared-606')), { read: 'EACCES', write: 'EACCES', openTrunc: 'EACCES', truncate: 'EACCES' }, 'carol (group member) on a 0606 file')
      assert.deepEqual(await as(alice, attempts, join(dir, 'alice-066')), { read: 'EACCES', write: 'EACCES', openTrunc: 'EACCES', truncate: 'EACCES' }, 'alice on her own 0066 file')
      for (const name of ['alice-644', 'alice-444', 'shared-606', 'alice-066']) assert.equal((await lstat(join(dir, name))).size, 4, `${name} is untouched`)
      // others' bits allow bob on the 0606 file, and root passes every check.
      assert.deepEqual(await as(bob, attempts, join(dir, 'shared-606')), { read: 'ok', write: 'ok', openTrunc: 'ok', truncate: 'ok' }, 'bob (other) on a 0606 file')
      assert.deepEqual(await as(root, attempts, join(dir, 'alice-444')), { read: 'ok', write: 'ok', openTrunc: 'ok', truncate: 'ok' }, "root on alice's 0444 file")
    },
  },
  {
    name: 'a directory needs write and search permission to create or remove entries, search to reach them, read to list them',
    needs: ['otherUsers', 'symlinks'],
    async run(dir, { as, users, make }) {
      const { alice, root } = users
      for (const [name, mode] of [['rx', 0o555], ['rw', 0o666], ['wx', 0o333]] as const) {
        await make(join(dir, name), { directory: true, uid: alice.uid, gid: alice.gid, mode: 0o755 })
        await make(join(dir, name, 'file'), { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o666 })
        await make(join(dir, name, 'sub'), { directory: true, uid: alice.uid, gid: alice.gid, mode: 0o777 })
        await as(root, ({ fs }, p: string, m: number) => fs.chmod(p, m), join(dir, name), mode)
      }
      const probe = ({ fs, errno }: { fs: typeof import('node:fs/promises'); errno: (p: Promise<unknown>) => Promise<string> }, d: string) =>
        (async () => ({
          create: await errno(fs.open(`${d}/new`, 'wx').then((h) => h.close())),
          mkdir: await errno(fs.mkdir(`${d}/newdir`)),
          symlink: await errno(fs.symlink('x', `${d}/newlink`)),
          stat: await errno(fs.stat(`${d}/file`)),
          open: await errno(fs.open(`${d}/file`, 'r').then((h) => h.close())),
          list: await errno(fs.readdir(d)),
          renameWithin: await errno(fs.rename(`${d}/file`, `${d}/renamed`)),
          unlink: await errno(fs.unlink(`${d}/file`)),
          rmdir: await errno(fs.rmdir(`${d}/sub`)),
          unlinkMissing: await errno(fs.unlink(`${d}/missing`)),
        }))()
      assert.deepEqual(await as(alice, probe, join(dir, 'rx')), {
        create: 'EACCES', mkdir: 'EACCES', symlink: 'EACCES', stat: 'ok', open: 'ok', list: 'ok', renameWithin: 'EACCES', unlink: 'EACCES', rmdir: 'EACCES', unlinkMissing: 'ENOENT',
      }, 'alice in her 0555 directory')
      assert.deepEqual(await as(alice, probe, join(dir, 'rw')), {
        create: 'EACCES', mkdir: 'EACCES', symlink: 'EACCES', stat: 'EACCES', open: 'EACCES', list: 'ok', renameWithin: 'EACCES', unlink: 'EACCES', rmdir: 'EACCES', unlinkMissing: 'EACCES',
      }, 'alice in her 0666 directory (no search)')
      // wx: no listing, but everything by name works. Order matters: rename, then unlink of the old name fails.
      assert.deepEqual(await as(alice, probe, join(dir, 'wx')), {
        create: 'ok', mkdir: 'ok', symlink: 'ok', stat: 'ok', open: 'ok', list: 'EACCES', renameWithin: 'ok', unlink: 'ENOENT', rmdir: 'ok', unlinkMissing: 'ENOENT',
      }, 'alice in her 0333 directory (no read)')
      const byRoot = await as(root, ({ fs }, d: string) => fs.readdir(d), join(dir, 'rw'))
      assert.deepEqual(byRoot.sort(), ['file', 'sub'], 'nothing changed in the 0666 directory')
    },
  },
  {
    name: 'in a sticky directory only the entry\'s owner, the directory\'s owner and root may unlink or rename it (EPERM)',
    needs: ['otherUsers'],
    async run(dir, { as, users, make, lstat }) {
      const { alice, bob, nobody, root } = users
      const sticky = join(dir, 'sticky')
      await make(sticky, { directory: true, uid: nobody.uid, gid: nobody.gid, mode: 0o1777 })
      for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) await make(join(sticky, name), { content: name, uid: alice.uid, gid: alice.gid, mode: 0o666 })
      await make(join(sticky, 'adir'), { directory: true, uid: alice.uid, gid: alice.gid, mode: 0o777 })
      await make(join(sticky, 'b1'), { content: 'b1', uid: bob.uid, gid: bob.gid, mode: 0o644 })

      const byBob = await as(bob, async ({ fs, errno }, d: string) => ({
        unlink: await errno(fs.unlink(`${d}/a1`)),
        rename: await errno(fs.rename(`${d}/a1`, `${d}/mine`)),
        renameOver: await errno(fs.rename(`${d}/b1`, `${d}/a1`)),
        rmdir: await errno(fs.rmdir(`${d}/adir`)),
        // Writing the file itself is a matter of its mode, not of the sticky bit.
        write: await errno(fs.writeFile(`${d}/a1`, 'bob')),
        create: await errno(fs.writeFile(`${d}/b2`, 'b2', { flag: 'wx' })),
        renameOwn: await errno(fs.rename(`${d}/b1`, `${d}/b3`)),
      }), sticky)
      assert.deepEqual(byBob, { unlink: 'EPERM', rename: 'EPERM', renameOver: 'EPERM', rmdir: 'EPERM', write: 'ok', create: 'ok', renameOwn: 'ok' }, "bob and alice's entries in a sticky directory")
      assertMode(await lstat(join(sticky, 'a1')), S_IFREG | 0o666, 'a1 is still there')

      const answers = [
        await as(alice, ({ fs, errno }, d: string) => errno(fs.unlink(`${d}/a2`)), sticky),
        await as(alice, ({ fs, errno }, d: string) => errno(fs.rename(`${d}/a3`, `${d}/a3-renamed`)), sticky),
        await as(nobody, ({ fs, errno }, d: string) => errno(fs.unlink(`${d}/a4`)), sticky),
        await as(root, ({ fs, errno }, d: string) => errno(fs.unlink(`${d}/a5`)), sticky),
      ]
      assert.deepEqual(answers, ['ok', 'ok', 'ok', 'ok'], 'owner unlinks, owner renames, directory owner unlinks, root unlinks')
      const left = await as(root, ({ fs }, d: string) => fs.readdir(d), sticky)
      assert.deepEqual(left.sort(), ['a1', 'a3-renamed', 'adir', 'b2', 'b3'], 'entries left')
    },
  },
  {
    name: 'moving a directory to another parent needs write permission on the directory itself (its .. changes)',
    needs: ['otherUsers'],
    async run(dir, { as, users, make }) {
      const { alice, bob, root } = users
      for (const parent of ['from', 'to']) await make(join(dir, parent), { directory: true, uid: bob.uid, gid: bob.gid, mode: 0o755 })
      await make(join(dir, 'from', 'alices'), { directory: true, uid: alice.uid, gid: alice.gid, mode: 0o755 })
      await make(join(dir, 'from', 'alices-file'), { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o644 })
      const byBob = await as(bob, async ({ fs, errno }, d: string) => ({
        moveDir: await errno(fs.rename(`${d}/from/alices`, `${d}/to/alices`)),
        moveFile: await errno(fs.rename(`${d}/from/alices-file`, `${d}/to/alices-file`)),
        renameDirInPlace: await errno(fs.rename(`${d}/from/alices`, `${d}/from/renamed`)),
      }), dir)
      assert.deepEqual(byBob, { moveDir: 'EACCES', moveFile: 'ok', renameDirInPlace: 'ok' }, "bob moves alice's directory and file between his directories")
      assert.equal(await as(root, ({ fs, errno }, d: string) => errno(fs.rename(`${d}/from/renamed`, `${d}/to/alices`)), dir), 'ok', 'root moves it')
      const after = await as(root, async ({ fs }, d: string) => [await fs.readdir(`${d}/from`), (await fs.readdir(`${d}/to`)).sort()], dir)
      assert.deepEqual(after, [[], ['alices', 'alices-file']], 'entries after the moves')
    },
  },
]
