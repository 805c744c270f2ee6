import { chown, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertErrno, assertMode } from './assertions.js'
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_ISGID, S_ISUID, S_ISVTX } from './constants.js'
import type { PosixCase } from './types.js'

const umasks = [0o027, 0o077, 0o000, 0o022] as const

export const modeCases: PosixCase[] = [
  {
    name: 'new files and directories get the mode asked for minus the umask; symlinks are always 0777',
    needs: ['symlinks'],
    async run(dir, { as, users, lstat }) {
      for (const umask of umasks) {
        await as({ user: users.root, umask }, async ({ fs }, d: string, tag: string) => {
          await (await fs.open(`${d}/${tag}-file`, 'wx', 0o666)).close()
          await (await fs.open(`${d}/${tag}-exec`, 'wx', 0o777)).close()
          await (await fs.open(`${d}/${tag}-suid`, 'wx', 0o6777)).close()
          await fs.mkdir(`${d}/${tag}-dir`, 0o777)
          await fs.mkdir(`${d}/${tag}-all`, 0o7777)
          await fs.symlink('target', `${d}/${tag}-link`)
        }, dir, umask.toString(8))
      }
      for (const umask of umasks) {
        const at = async (kind: string) => lstat(join(dir, `${umask.toString(8)}-${kind}`))
        const what = (kind: string) => `${kind} made under umask 0${umask.toString(8)}`
        assertMode(await at('file'), S_IFREG | (0o666 & ~umask), what('file 0666'))
        assertMode(await at('exec'), S_IFREG | (0o777 & ~umask), what('file 0777'))
        // A new file keeps setuid and setgid (root, in its own group; the umask never masks them).
        assertMode(await at('suid'), S_IFREG | S_ISUID | S_ISGID | (0o777 & ~umask), what('file 06777'))
        assertMode(await at('dir'), S_IFDIR | (0o777 & ~umask), what('directory 0777'))
        // mkdir keeps the sticky bit but never takes setuid or setgid from the mode asked for.
        assertMode(await at('all'), S_IFDIR | S_ISVTX | (0o777 & ~umask), what('directory 07777'))
        assertMode(await at('link'), S_IFLNK | 0o777, what('symlink'))
      }
    },
  },
  {
    name: 'new fifos get the mode asked for minus the umask',
    needs: ['specialFiles'],
    async run(dir, { mknod, run, users, lstat }) {
      for (const umask of umasks) {
        const path = join(dir, `fifo-${umask.toString(8)}`)
        assertErrno(await mknod({ user: users.root, umask }, path, S_IFIFO | 0o666), 'ok', `mknod fifo under umask 0${umask.toString(8)}`)
        assertMode(await lstat(path), S_IFIFO | (0o666 & ~umask), `fifo 0666 made under umask 0${umask.toString(8)}`)
        // mkfifo(1) without -m asks for 0666 too.
        const tool = join(dir, `mkfifo-${umask.toString(8)}`)
        const made = await run({ user: users.root, umask }, 'mkfifo', [tool])
        assert.deepEqual(made, { code: 0, stdout: '', stderr: '' }, `mkfifo under umask 0${umask.toString(8)}`)
        assertMode(await lstat(tool), S_IFIFO | (0o666 & ~umask), `mkfifo under umask 0${umask.toString(8)}`)
      }
    },
  },
  {
    name: 'only the owner and root change a mode; another user gets EPERM and the mode stays',
    needs: ['otherUsers'],
    async run(dir, { as, users, lstat }) {
      const { alice, bob, root } = users
      const file = join(dir, 'file')
      const sub = join(dir, 'sub')
      await writeFile(file, 'x', { mode: 0o644 })
      await as(root, async ({ fs }, f: string, d: string, uid: number, gid: number) => {
        await fs.chmod(f, 0o644)
        await fs.mkdir(d, 0o755)
        await fs.chown(f, uid, gid)
        await fs.chown(d, uid, gid)
      }, file, sub, alice.uid, alice.gid)

      const ownerModes = [0o642, 0o4755, 0o000, 0o1644, 0o640]
      const seen = await as(alice, async ({ fs, errno, stat }, f: string, modes: number[]) => {
        const result: number[] = []
        for (const mode of modes) {
          const answer = await errno(fs.chmod(f, mode))
          if (answer !== 'ok') throw new Error(`chmod 0${mode.toString(8)}: ${answer}`)
          result.push((await stat(f)).mode)
        }
        return result
      }, file, ownerModes)
      // The owner sets any permission bits, the sticky bit on a plain file included (Linux keeps it).
      ownerModes.forEach((mode, i) => assertMode(seen[i]!, S_IFREG | mode, `alice chmod 0${mode.toString(8)} on her file`))

      const refused = await as(bob, async ({ fs, errno }, f: string, d: string) => [
        await errno(fs.chmod(f, 0o777)),
        await errno(fs.chmod(f, 0o640)),
        await errno(fs.chmod(d, 0o777)),
      ], file, sub)
      refused.forEach((answer, i) => assertErrno(answer, 'EPERM', `bob chmod #${i + 1} on alice's file or directory`))
      assertMode(await lstat(file), S_IFREG | 0o640, "alice's file after bob's chmod")
      assertMode(await lstat(sub), S_IFDIR | 0o755, "alice's directory after bob's chmod")

      assertErrno(await as(alice, ({ fs, errno }, d: string) => errno(fs.chmod(d, 0o1777)), sub), 'ok', 'alice chmod 01777 on her directory')
      assertMode(await lstat(sub), S_IFDIR | 0o1777, "alice's directory")
      assertErrno(await as(root, ({ fs, errno }, f: string) => errno(fs.chmod(f, 0o7777)), file), 'ok', "root chmod 07777 on alice's file")
      assertMode(await lstat(file), S_IFREG | 0o7777, "alice's file after root's chmod")
    },
  },
  {
    name: 'chmod by an owner outside the group silently drops S_ISGID; a member and root keep it',
    needs: ['otherUsers'],
    async run(dir, { as, users, groups, lstat }) {
      const { alice, root } = users
      // alice owns them all; she is in fusekit-shared but not in fusekit-bob.
      const cases = [
        ['foreign-file', groups.bob, 'file'],
        ['foreign-dir', groups.bob, 'dir'],
        ['shared-file', groups.shared, 'file'],
        ['root-file', groups.bob, 'file'],
      ] as const
      for (const [name, gid, kind] of cases) {
        const path = join(dir, name)
        if (kind === 'file') await writeFile(path, '')
        else await as(root, ({ fs }, p: string) => fs.mkdir(p), path)
        await chown(path, alice.uid, gid)
      }
      const answers = await as(alice, async ({ fs, errno }, d: string) => [
        await errno(fs.chmod(`${d}/foreign-file`, 0o2755)),
        await errno(fs.chmod(`${d}/foreign-dir`, 0o2755)),
        await errno(fs.chmod(`${d}/shared-file`, 0o2755)),
      ], dir)
      answers.forEach((answer, i) => assertErrno(answer, 'ok', `alice chmod 02755 #${i + 1}`))
      assertErrno(await as(root, ({ fs, errno }, p: string) => errno(fs.chmod(p, 0o2755)), join(dir, 'root-file')), 'ok', 'root chmod 02755')
      assertMode(await lstat(join(dir, 'foreign-file')), S_IFREG | 0o755, "alice's file in fusekit-bob after chmod 02755")
      assertMode(await lstat(join(dir, 'foreign-dir')), S_IFDIR | 0o755, "alice's directory in fusekit-bob after chmod 02755")
      assertMode(await lstat(join(dir, 'shared-file')), S_IFREG | S_ISGID | 0o755, "alice's file in fusekit-shared after chmod 02755")
      assertMode(await lstat(join(dir, 'root-file')), S_IFREG | S_ISGID | 0o755, 'a file in fusekit-bob after root chmod 02755')
    },
  },
]
