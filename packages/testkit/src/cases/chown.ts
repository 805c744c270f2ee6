import { chmod, chown, mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertErrno, assertMode, assertOwner } from './assertions.js'
import { S_IFDIR, S_IFREG, S_ISGID, S_ISUID } from './constants.js'
import type { PosixCase } from './types.js'

export const chownCases: PosixCase[] = [
  {
    name: 'only root gives a file away; its owner may change its group to one of her own groups only',
    needs: ['otherUsers', 'symlinks'],
    async run(dir, { as, users, groups, lstat }) {
      const { alice, bob } = users
      const file = join(dir, 'file')
      const link = join(dir, 'link')
      await writeFile(file, 'x')
      await chown(file, alice.uid, alice.gid)
      await symlink('file', link)
      await as(users.root, ({ fs }, l: string, uid: number, gid: number) => fs.lchown(l, uid, gid), link, alice.uid, alice.gid)

      const byAlice = await as(alice, async ({ fs, errno, stat }, f: string, l: string, ids: Record<string, number>) => ({
        toBob: await errno(fs.chown(f, ids.bob!, -1)),
        toBobKeepingGroup: await errno(fs.chown(f, ids.bob!, ids.aliceGroup!)),
        groupBob: await errno(fs.chown(f, -1, ids.bobGroup!)),
        groupShared: await errno(fs.chown(f, -1, ids.shared!)),
        afterShared: (await stat(f)).gid,
        sameIds: await errno(fs.chown(f, ids.alice!, ids.aliceGroup!)),
        unchanged: await errno(fs.chown(f, -1, -1)),
        linkShared: await errno(fs.lchown(l, -1, ids.shared!)),
      }), file, link, { bob: bob.uid, bobGroup: groups.bob, shared: groups.shared, alice: alice.uid, aliceGroup: alice.gid })
      assertErrno(byAlice.toBob, 'EPERM', 'alice gives her file to bob')
      assertErrno(byAlice.toBobKeepingGroup, 'EPERM', 'alice gives her file to bob, same group')
      assertErrno(byAlice.groupBob, 'EPERM', "alice puts her file in bob's group (she is not in it)")
      assertErrno(byAlice.groupShared, 'ok', 'alice puts her file in fusekit-shared')
      assert.equal(byAlice.afterShared, groups.shared, 'group after chgrp to fusekit-shared')
      assertErrno(byAlice.sameIds, 'ok', 'alice chown to her own uid and primary group')
      assertErrno(byAlice.unchanged, 'ok', 'alice chown(-1, -1)')
      assertErrno(byAlice.linkShared, 'ok', 'alice lchown of her symlink to fusekit-shared')
      assertOwner(await lstat(file), alice.uid, alice.gid, "alice's file after her chowns")
      assertOwner(await lstat(link), alice.uid, groups.shared, "alice's symlink after lchown")

      const byBob = await as(bob, async ({ fs, errno }, f: string, bobGroup: number, bobUid: number) => ({
        chgrp: await errno(fs.chown(f, -1, bobGroup)),
        take: await errno(fs.chown(f, bobUid, -1)),
      }), file, groups.bob, bob.uid)
      assertErrno(byBob.chgrp, 'EPERM', "bob changes the group of alice's file")
      assertErrno(byBob.take, 'EPERM', "bob takes alice's file")
      assertOwner(await lstat(file), alice.uid, alice.gid, "alice's file after bob's attempts")

      assertErrno(await as(users.root, ({ fs, errno }, f: string, uid: number, gid: number) => errno(fs.chown(f, uid, gid)), file, bob.uid, groups.bob), 'ok', 'root gives the file to bob')
      assertOwner(await lstat(file), bob.uid, groups.bob, 'file after root chown')
    },
  },
  {
    name: 'chown clears S_ISUID, and S_ISGID if group-executable or the caller is outside the group, of a regular file, even by root and without a change; directories keep theirs',
    needs: ['otherUsers', 'callerIdentity'],
    async run(dir, { as, users, groups, lstat }) {
      const { alice, root } = users
      const setup = [
        ['alice-6755', 0o6755], ['alice-2745', 0o2745], ['alice-4755', 0o4755], ['alice-noop', 0o6755],
        ['root-6755', 0o6755], ['root-2745', 0o2745], ['root-noop', 0o6755], ['foreign-2745', 0o2745],
      ] as const
      for (const [name, mode] of setup) {
        await writeFile(join(dir, name), 'x')
        await chown(join(dir, name), alice.uid, groups.shared)
        await chmod(join(dir, name), mode)
      }
      // alice owns foreign-2745 but is not in its group.
      await chown(join(dir, 'foreign-2745'), alice.uid, groups.bob)
      await chmod(join(dir, 'foreign-2745'), 0o2745)
      for (const name of ['alice-dir', 'root-dir']) {
        await mkdir(join(dir, name))
        await chown(join(dir, name), alice.uid, groups.shared)
        await chmod(join(dir, name), 0o6755)
      }
      const byAlice = await as(alice, async ({ fs, errno }, d: string, gid: number) => [
        await errno(fs.chown(`${d}/alice-6755`, -1, gid)),
        await errno(fs.chown(`${d}/alice-2745`, -1, gid)),
        await errno(fs.chown(`${d}/alice-4755`, -1, gid)),
        await errno(fs.chown(`${d}/alice-noop`, -1, -1)),
        await errno(fs.chown(`${d}/alice-dir`, -1, gid)),
        await errno(fs.chown(`${d}/foreign-2745`, -1, -1)),
      ], dir, alice.gid)
      byAlice.forEach((answer, i) => assertErrno(answer, 'ok', `alice chown #${i + 1}`))
      const byRoot = await as(root, async ({ fs, errno }, d: string, uid: number, gid: number) => [
        await errno(fs.chown(`${d}/root-6755`, 0, 0)),
        await errno(fs.chown(`${d}/root-2745`, 0, 0)),
        await errno(fs.chown(`${d}/root-noop`, uid, gid)),
        await errno(fs.chown(`${d}/root-dir`, 0, 0)),
      ], dir, alice.uid, groups.shared)
      byRoot.forEach((answer, i) => assertErrno(answer, 'ok', `root chown #${i + 1}`))

      const mode = async (name: string) => (await lstat(join(dir, name))).mode
      assertMode(await mode('alice-6755'), S_IFREG | 0o755, "06755 file after alice's chgrp")
      assertMode(await mode('alice-2745'), S_IFREG | S_ISGID | 0o745, "02745 file (no group exec) after alice's chgrp")
      assertMode(await mode('alice-4755'), S_IFREG | 0o755, "04755 file after alice's chgrp")
      assertMode(await mode('alice-noop'), S_IFREG | 0o755, "06755 file after alice's chown(-1, -1)")
      assertMode(await mode('alice-dir'), S_IFDIR | S_ISUID | S_ISGID | 0o755, "06755 directory after alice's chgrp")
      assertMode(await mode('foreign-2745'), S_IFREG | 0o745, "02745 file of a group alice is not in, after her chown(-1, -1)")
      assertMode(await mode('root-6755'), S_IFREG | 0o755, "06755 file after root's chown")
      assertMode(await mode('root-2745'), S_IFREG | S_ISGID | 0o745, "02745 file after root's chown")
      assertMode(await mode('root-noop'), S_IFREG | 0o755, "06755 file after root's chown to the same ids")
      assertMode(await mode('root-dir'), S_IFDIR | S_ISUID | S_ISGID | 0o755, "06755 directory after root's chown")
    },
  },
  {
    name: "another user's chown(-1, -1) is EPERM where it would have to clear setuid or setgid, and a no-op success elsewhere",
    needs: ['otherUsers', 'callerIdentity'],
    async run(dir, { as, users, groups, lstat }) {
      const { alice, bob, carol } = users
      const files = [['plain', 0o644], ['setuid', 0o4755], ['setgid-gx', 0o2755], ['setgid-nogx', 0o2745]] as const
      for (const [name, mode] of files) {
        await writeFile(join(dir, name), 'x')
        await chown(join(dir, name), alice.uid, groups.shared)
        await chmod(join(dir, name), mode)
      }
      const attempt = ({ fs, errno }: { fs: typeof import('node:fs/promises'); errno: (p: Promise<unknown>) => Promise<string> }, d: string, names: string[]) =>
        Promise.all(names.map((name) => errno(fs.chown(`${d}/${name}`, -1, -1))))
      const names = files.map(([name]) => name)
      // bob is not in fusekit-shared: even the S_ISGID of a file without group exec would have to go.
      assert.deepEqual(await as(bob, attempt, dir, names), ['ok', 'EPERM', 'EPERM', 'EPERM'], "bob's chown(-1, -1) on plain, 04755, 02755, 02745")
      // carol is in fusekit-shared: S_ISGID without group exec stays, so nothing needs changing.
      assert.deepEqual(await as(carol, attempt, dir, names), ['ok', 'EPERM', 'EPERM', 'ok'], "carol's chown(-1, -1) on plain, 04755, 02755, 02745")
      for (const [name, mode] of files) assertMode(await lstat(join(dir, name)), S_IFREG | mode, `${name} after bob's and carol's chown(-1, -1)`)
    },
  },
]
