import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertErrno, assertMode, assertOwner } from './assertions.js'
import { makedev, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_ISGID } from './constants.js'
import type { PosixCase, TestUser } from './types.js'

/** Creates file, dir and symlink named `<prefix>-…` in `dir` as the calling child. */
const createThree = async ({ fs }: { fs: typeof import('node:fs/promises') }, dir: string, prefix: string) => {
  await (await fs.open(`${dir}/${prefix}-file`, 'wx', 0o644)).close()
  await fs.mkdir(`${dir}/${prefix}-dir`, 0o755)
  await fs.symlink(`${prefix}-file`, `${dir}/${prefix}-link`)
}

export const ownershipCases: PosixCase[] = [
  {
    name: 'files, directories and symlinks belong to the uid and primary gid of the user who creates them',
    needs: ['otherUsers', 'callerIdentity', 'symlinks'],
    async run(dir, { as, users, lstat }) {
      const creators: Array<[TestUser, number]> = [
        [users.alice, users.alice.gid],
        [users.bob, users.bob.gid],
        [users.nobody, users.nobody.gid],
        [users.root, 0],
      ]
      for (const [user] of creators) await as(user, createThree, dir, user.name)
      for (const [user, gid] of creators) {
        const [file, sub, link] = await Promise.all(['file', 'dir', 'link'].map((kind) => lstat(join(dir, `${user.name}-${kind}`))))
        assertOwner(file!, user.uid, gid, `file made by ${user.name}`)
        assertOwner(sub!, user.uid, gid, `directory made by ${user.name}`)
        assertOwner(link!, user.uid, gid, `symlink made by ${user.name}`)
        assertMode(file!, S_IFREG | 0o644, `file made by ${user.name}`)
        assertMode(sub!, S_IFDIR | 0o755, `directory made by ${user.name}`)
        assertMode(link!, S_IFLNK | 0o777, `symlink made by ${user.name}`)
      }
    },
  },
  {
    name: 'fifos belong to their creator; only root makes device nodes, which keep their device number',
    needs: ['otherUsers', 'callerIdentity', 'specialFiles'],
    async run(dir, { mknod, users, lstat, as }) {
      const { alice, nobody, root } = users
      assertErrno(await mknod(alice, join(dir, 'alice-fifo'), S_IFIFO | 0o640), 'ok', 'alice makes a fifo')
      assertErrno(await mknod(nobody, join(dir, 'nobody-fifo'), S_IFIFO | 0o600), 'ok', 'nobody makes a fifo')
      assertErrno(await mknod(alice, join(dir, 'alice-null'), S_IFCHR | 0o666, 1, 3), 'EPERM', 'alice makes a character device')
      assertErrno(await mknod(alice, join(dir, 'alice-loop'), S_IFBLK | 0o660, 7, 0), 'EPERM', 'alice makes a block device')
      assertErrno(await mknod(root, join(dir, 'root-null'), S_IFCHR | 0o666, 1, 3), 'ok', 'root makes a character device')
      assertErrno(await mknod(root, join(dir, 'root-big'), S_IFBLK | 0o600, 259, 65536 + 7), 'ok', 'root makes a block device with a large minor')

      const fifo = await lstat(join(dir, 'alice-fifo'))
      assertOwner(fifo, alice.uid, alice.gid, "alice's fifo")
      assertMode(fifo, S_IFIFO | 0o640, "alice's fifo")
      assertOwner(await lstat(join(dir, 'nobody-fifo')), 65534, nobody.gid, "nobody's fifo")
      const device = await lstat(join(dir, 'root-null'))
      assertOwner(device, 0, 0, "root's character device")
      assertMode(device, S_IFCHR | 0o644, "root's character device (umask 022)")
      assert.equal(device.rdev, makedev(1, 3), 'st_rdev of the character device 1:3')
      const block = await lstat(join(dir, 'root-big'))
      assertMode(block, S_IFBLK | 0o600, "root's block device")
      assert.equal(block.rdev, makedev(259, 65536 + 7), 'st_rdev of the block device 259:65543')
      const names = await as(root, ({ fs }, d: string) => fs.readdir(d), dir)
      assert.deepEqual(names.sort(), ['alice-fifo', 'nobody-fifo', 'root-big', 'root-null'], 'refused device nodes leave no entry')
    },
  },
  {
    name: 'in a setgid directory new entries take its group, subdirectories also its setgid bit, whoever creates them',
    needs: ['otherUsers', 'callerIdentity'],
    async run(dir, { as, users, groups, lstat }) {
      const setgid = join(dir, 'setgid')
      const plain = join(dir, 'plain')
      await mkdir(setgid)
      await mkdir(plain)
      await as(users.root, async ({ fs }, a: string, b: string, shared: number) => {
        await fs.chown(a, 0, shared)
        await fs.chmod(a, 0o2777)
        await fs.chown(b, 0, shared)
        await fs.chmod(b, 0o777)
      }, setgid, plain, groups.shared)
      // bob is not in fusekit-shared: the directory's group wins all the same.
      for (const user of [users.alice, users.bob, users.root]) {
        await as(user, createThree, setgid, user.name)
        await as(user, createThree, plain, user.name)
      }
      for (const user of [users.alice, users.bob, users.root]) {
        for (const kind of ['file', 'dir', 'link']) {
          assertOwner(await lstat(join(setgid, `${user.name}-${kind}`)), user.uid, groups.shared, `${kind} made by ${user.name} in the setgid directory`)
          assertOwner(await lstat(join(plain, `${user.name}-${kind}`)), user.uid, user.gid, `${kind} made by ${user.name} in the directory without setgid`)
        }
        assertMode(await lstat(join(setgid, `${user.name}-dir`)), S_IFDIR | S_ISGID | 0o755, `directory made by ${user.name} in the setgid directory`)
        assertMode(await lstat(join(setgid, `${user.name}-file`)), S_IFREG | 0o644, `file made by ${user.name} in the setgid directory`)
        assertMode(await lstat(join(plain, `${user.name}-dir`)), S_IFDIR | 0o755, `directory made by ${user.name} without setgid`)
      }
      // The inherited bit carries on down: bob's subdirectory passes the group on to his own file.
      const bobDir = join(setgid, `${users.bob.name}-dir`)
      await as(users.bob, ({ fs }, d: string) => fs.writeFile(`${d}/nested`, ''), bobDir)
      assertOwner(await lstat(join(bobDir, 'nested')), users.bob.uid, groups.shared, "bob's file in his inherited setgid directory")
    },
  },
  {
    name: 'a new group-executable file asking for S_ISGID in a setgid directory keeps it only if its creator is in the group',
    needs: ['otherUsers', 'callerIdentity'],
    async run(dir, { as, users, groups, lstat }) {
      await as(users.root, async ({ fs }, d: string, shared: number) => {
        await fs.chown(d, 0, shared)
        await fs.chmod(d, 0o2777)
      }, dir, groups.shared)
      const create = async ({ fs }: { fs: typeof import('node:fs/promises') }, d: string, name: string) => {
        for (const [suffix, mode] of [['gx', 0o2775], ['nogx', 0o2664]] as const) await (await fs.open(`${d}/${name}-${suffix}`, 'wx', mode)).close()
        await fs.mkdir(`${d}/${name}-dir`, 0o2775)
      }
      const { alice, bob, root } = users
      for (const user of [alice, bob, root]) await as(user, create, dir, user.name)
      const mode = async (user: TestUser, suffix: string) => (await lstat(join(dir, `${user.name}-${suffix}`))).mode
      // alice is in fusekit-shared, root has CAP_FSETID: the bit stays.
      assertMode(await mode(alice, 'gx'), S_IFREG | S_ISGID | 0o755, "alice's 02775 file")
      assertMode(await mode(root, 'gx'), S_IFREG | S_ISGID | 0o755, "root's 02775 file")
      // bob is not in the group the file gets: S_ISGID is dropped from a group-executable file...
      assertMode(await mode(bob, 'gx'), S_IFREG | 0o755, "bob's 02775 file")
      // ...but not from a file without group exec (the mandatory-locking pattern).
      assertMode(await mode(bob, 'nogx'), S_IFREG | S_ISGID | 0o644, "bob's 02664 file")
      assertMode(await mode(alice, 'nogx'), S_IFREG | S_ISGID | 0o644, "alice's 02664 file")
      // Directories take S_ISGID from the parent, not from the mode asked for.
      for (const user of [alice, bob, root]) assertMode(await mode(user, 'dir'), S_IFDIR | S_ISGID | 0o755, `${user.name}'s directory`)
    },
  },
]
