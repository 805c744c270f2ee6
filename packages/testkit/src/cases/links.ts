import { appendFile, chmod, chown, link, mkdir, open, readdir, readFile, rename, rmdir, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertAfter, assertMode, assertOwner, assertTime, errnoOf } from './assertions.js'
import { RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFDIR, S_IFREG } from './constants.js'
import type { PosixCase } from './types.js'

export const linkCases: PosixCase[] = [
  {
    name: 'hard links are one inode: st_ino, nlink, mode, owner, times, bytes and size are seen through every name at once',
    needs: ['coherentLinks', 'chown'],
    async run(dir, { stat, users, utimens, capabilities }) {
      const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name)) as [string, string, string]
      await writeFile(a, 'hello')
      await link(a, b)
      const [sa, sb] = [await stat(a), await stat(b)]
      assert.equal(sb.ino, sa.ino, 'st_ino of both names')
      assert.deepEqual([sa.nlink, sb.nlink], [2, 2], 'nlink right after link')
      await link(b, c)
      assert.deepEqual([(await stat(a)).nlink, (await stat(b)).nlink, (await stat(c)).nlink], [3, 3, 3], 'nlink with three names')

      // No waiting anywhere: a mount with an attribute timeout must still show one inode.
      await chmod(a, 0o600)
      assertMode(await stat(b), S_IFREG | 0o600, 'mode through b after chmod through a')
      await chown(b, users.alice.uid, users.alice.gid)
      assertOwner(await stat(c), users.alice.uid, users.alice.gid, 'owner through c after chown through b')
      const t = 1_234_567_890_123_456_789n
      assert.equal(await utimens(users.root, c, [t, t]), 'ok', 'utimens through c')
      const timesThroughA = await stat(a)
      assertTime(timesThroughA.mtimeNs, t, capabilities, 'mtime through a after utimens through c')

      await writeFile(b, 'HELLO world')
      assert.equal(await readFile(a, 'latin1'), 'HELLO world', 'bytes through a after a write through b')
      assert.equal((await stat(c)).size, 11, 'size through c after a write through b')
      await truncate(a, 2)
      assert.equal((await stat(b)).size, 2, 'size through b after truncate through a')
      assert.equal(await readFile(c, 'latin1'), 'HE', 'bytes through c after truncate through a')
      await appendFile(c, 'XY')
      assert.equal(await readFile(a, 'latin1'), 'HEXY', 'bytes through a after an append through c')

      await unlink(a)
      const [after, afterC] = [await stat(b), await stat(c)]
      assert.deepEqual([after.nlink, afterC.nlink], [2, 2], 'nlink after unlinking a')
      await unlink(c)
      const last = await stat(b)
      assert.equal(last.nlink, 1, 'nlink after unlinking c')
      assert.equal(last.ino, sa.ino, 'st_ino of the last name')
      assert.equal(await readFile(b, 'latin1'), 'HEXY', 'bytes through the last name')
    },
  },
  {
    name: 'link, rename and unlink of one name change the inode\'s ctime (not its mtime) and the directories\' mtime and ctime',
    needs: ['coherentLinks', 'subsecondTimes'],
    async run(dir, { stat, tick }) {
      const a = join(dir, 'a')
      const other = join(dir, 'other')
      await mkdir(other)
      await writeFile(a, 'x')
      const s0 = await stat(a)
      const d0 = await stat(dir)
      const o0 = await stat(other)
      await tick()
      await link(a, join(dir, 'b'))
      const s1 = await stat(a)
      const d1 = await stat(dir)
      assertAfter(s1.ctimeNs, s0.ctimeNs, 'inode ctime after link')
      assertAfter(d1.mtimeNs, d0.mtimeNs, 'directory mtime after link')
      assertAfter(d1.ctimeNs, d0.ctimeNs, 'directory ctime after link')
      await tick()
      await rename(join(dir, 'b'), join(other, 'c'))
      const s2 = await stat(a)
      const [d2, o2] = [await stat(dir), await stat(other)]
      assertAfter(s2.ctimeNs, s1.ctimeNs, 'inode ctime after renaming one name')
      assertAfter(d2.mtimeNs, d1.mtimeNs, 'source directory mtime after rename')
      assertAfter(o2.mtimeNs, o0.mtimeNs, 'target directory mtime after rename')
      assertAfter(o2.ctimeNs, o0.ctimeNs, 'target directory ctime after rename')
      await tick()
      await unlink(join(other, 'c'))
      const s3 = await stat(a)
      const o3 = await stat(other)
      assertAfter(s3.ctimeNs, s2.ctimeNs, 'inode ctime after unlinking one name')
      assertAfter(o3.mtimeNs, o2.mtimeNs, 'directory mtime after unlink')
      assert.equal(s3.nlink, 1, 'nlink at the end')
      assert.equal(s3.mtimeNs, s0.mtimeNs, 'the inode mtime never changed')
    },
  },
  {
    name: 'link refuses directories (EPERM) and existing names (EEXIST); renaming one name of an inode onto another does nothing',
    needs: ['hardlinks'],
    async run(dir, { stat }) {
      const a = join(dir, 'a')
      const b = join(dir, 'b')
      await writeFile(a, 'a')
      await mkdir(join(dir, 'sub'))
      await writeFile(join(dir, 'taken'), 'taken')
      assert.equal(await errnoOf(link(join(dir, 'sub'), join(dir, 'sub-link'))), 'EPERM', 'link to a directory')
      assert.equal(await errnoOf(link(a, join(dir, 'taken'))), 'EEXIST', 'link onto an existing name')
      assert.equal(await errnoOf(link(join(dir, 'missing'), join(dir, 'x'))), 'ENOENT', 'link to a missing file')
      await link(a, b)
      // POSIX: if both names are the same file, rename succeeds and does nothing else.
      await rename(a, b)
      assert.deepEqual((await readdir(dir)).sort(), ['a', 'b', 'sub', 'taken'], 'both names remain')
      assert.deepEqual([(await stat(a)).nlink, (await stat(b)).nlink], [2, 2], 'nlink after the no-op rename')
      assert.equal(await readFile(join(dir, 'taken'), 'latin1'), 'taken', 'the existing name kept its file')
    },
  },
  {
    name: 'an open file stays usable after its last name is gone: fstat shows nlink 0, fchmod, ftruncate, write and read work',
    needs: ['unlinkedOpenFiles'],
    async run(dir) {
      const path = join(dir, 'file')
      await writeFile(join(dir, 'replacement'), 'new')
      const handle = await open(path, 'w+')
      try {
        await handle.write('hello', 0)
        await unlink(path)
        assert.equal((await handle.stat()).nlink, 0, 'nlink of the unlinked open file')
        await handle.chmod(0o600)
        assert.equal((await handle.stat()).mode, S_IFREG | 0o600, 'mode after fchmod of the unlinked file')
        await handle.truncate(2)
        await handle.write('XY', 2)
        const buffer = Buffer.alloc(10)
        const { bytesRead } = await handle.read(buffer, 0, 10, 0)
        assert.equal(buffer.subarray(0, bytesRead).toString('latin1'), 'heXY', 'bytes of the unlinked file')
        assert.equal((await handle.stat()).size, 4, 'size of the unlinked file')
        // A file replaced by rename stays readable through its open descriptor too.
        await writeFile(path, 'old')
        const old = await open(path, 'r')
        try {
          await rename(join(dir, 'replacement'), path)
          const b = Buffer.alloc(10)
          const read = await old.read(b, 0, 10, 0)
          assert.equal(b.subarray(0, read.bytesRead).toString('latin1'), 'old', 'the replaced file through its descriptor')
          assert.equal((await old.stat()).nlink, 0, 'nlink of the replaced file')
          assert.equal(await readFile(path, 'latin1'), 'new', 'the name now gives the new file')
        } finally {
          await old.close()
        }
      } finally {
        await handle.close()
      }
      assert.deepEqual(await readdir(dir), ['file'], 'only the new file is left')
    },
  },
  {
    name: 'a directory\'s link count is 2 plus its subdirectories',
    async run(dir, { stat }) {
      const top = join(dir, 'top')
      await mkdir(top)
      assertMode(await stat(top), S_IFDIR | 0o755, 'new directory')
      assert.equal((await stat(top)).nlink, 2, 'nlink of an empty directory')
      await mkdir(join(top, 'a'))
      await mkdir(join(top, 'b'))
      await writeFile(join(top, 'file'), '')
      assert.equal((await stat(top)).nlink, 4, 'nlink with two subdirectories and a file')
      await rmdir(join(top, 'a'))
      assert.equal((await stat(top)).nlink, 3, 'nlink after rmdir of one')
      await rename(join(top, 'b'), join(dir, 'b'))
      assert.equal((await stat(top)).nlink, 2, 'nlink after moving the other out')
      assert.equal((await stat(dir)).nlink, 4, 'nlink of the parent that received it (top and b)')
    },
  },
  {
    name: 'renameat2: RENAME_NOREPLACE refuses an existing target with EEXIST; RENAME_EXCHANGE swaps two names, whatever their types',
    needs: ['renameFlags'],
    async run(dir, { rename: rename2, users, stat }) {
      const { root } = users
      const [a, b, c, sub] = ['a', 'b', 'c', 'sub'].map((name) => join(dir, name)) as [string, string, string, string]
      await writeFile(a, 'A')
      await writeFile(b, 'B')
      await mkdir(sub)
      await writeFile(join(sub, 'inside'), 'I')
      const [inoA, inoB, inoSub] = [(await stat(a)).ino, (await stat(b)).ino, (await stat(sub)).ino]

      assert.equal(await rename2(root, a, b, RENAME_NOREPLACE), 'EEXIST', 'NOREPLACE onto an existing file')
      assert.deepEqual([await readFile(a, 'latin1'), await readFile(b, 'latin1')], ['A', 'B'], 'both files after the refusal')
      assert.equal(await rename2(root, a, c, RENAME_NOREPLACE), 'ok', 'NOREPLACE to a free name')
      assert.equal((await stat(c)).ino, inoA, 'c is the old a')
      assert.equal(await errnoOf(stat(a)), 'ENOENT', 'a is gone')

      assert.equal(await rename2(root, c, b, RENAME_EXCHANGE), 'ok', 'EXCHANGE of two files')
      assert.deepEqual([(await stat(b)).ino, (await stat(c)).ino], [inoA, inoB], 'the inodes traded names')
      assert.deepEqual([await readFile(b, 'latin1'), await readFile(c, 'latin1')], ['A', 'B'], 'contents after the exchange')
      assert.equal(await rename2(root, b, sub, RENAME_EXCHANGE), 'ok', 'EXCHANGE of a file and a directory')
      assert.equal((await stat(b)).ino, inoSub, 'b is now the directory')
      assert.equal(await readFile(join(b, 'inside'), 'latin1'), 'I', 'with its entry')
      assert.equal(await readFile(sub, 'latin1'), 'A', 'sub is now the file')

      assert.equal(await rename2(root, c, join(dir, 'missing'), RENAME_EXCHANGE), 'ENOENT', 'EXCHANGE with a missing name')
      assert.equal(await rename2(root, c, sub, RENAME_EXCHANGE | RENAME_NOREPLACE), 'EINVAL', 'EXCHANGE and NOREPLACE together')
      assert.deepEqual((await readdir(dir)).sort(), ['b', 'c', 'sub'], 'names at the end')
    },
  },
]
