import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertAfter, assertErrno, assertMode } from './assertions.js'
import { S_IFREG } from './constants.js'
import type { PosixCase } from './types.js'

/** Deterministic bytes that differ from their neighbours, so a shifted copy shows. */
function pattern(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed + (i >> 8)) & 0xff))
}

export const copyCases: PosixCase[] = [
  {
    name: 'copy_file_range copies exactly the range asked for between two files and returns the count, short at EOF',
    needs: ['copyFileRange'],
    async run(dir, { copyFileRange, users, stat, utimens }) {
      const { root } = users
      const src = join(dir, 'src')
      const dst = join(dir, 'dst')
      const source = pattern(10_000, 3)
      await writeFile(src, source)
      await writeFile(dst, 'D'.repeat(100))
      const old = 1_000_000_000_000_000_000n
      assertErrno(await utimens(root, dst, [old, old]), 'ok', 'old times on dst')
      const expected = Buffer.from('D'.repeat(100))
      const copy = (from: number, to: number, length: number) => copyFileRange(root, { path: src, offset: from }, { path: dst, offset: to }, length)

      assert.equal(await copy(1000, 50, 3000), 3000, 'copy 3000 bytes from 1000 to 50')
      const grown = Buffer.concat([expected.subarray(0, 50), source.subarray(1000, 4000)])
      assert.ok((await readFile(dst)).equals(grown), 'dst after the first copy')
      const afterCopy = await stat(dst)
      assert.equal(afterCopy.size, 3050, 'dst size after the first copy')
      assertAfter(afterCopy.mtimeNs, old, 'dst mtime after a copy')

      assert.equal(await copy(9000, 0, 5000), 1000, 'a copy running into the end of src is short')
      source.copy(grown, 0, 9000, 10_000)
      assert.ok((await readFile(dst)).equals(grown), 'dst after the short copy')
      assert.equal(await copy(10_000, 0, 10), 0, 'a copy from EOF copies nothing')
      assert.equal(await copy(20_000, 0, 10), 0, 'a copy from past EOF copies nothing')
      assert.equal(await copy(0, 0, 0), 0, 'a copy of length 0')
      assert.ok((await readFile(dst)).equals(grown), 'dst after the empty copies')

      assert.equal(await copy(0, 8192, 100), 100, 'a copy to past the end of dst')
      const extended = Buffer.concat([grown, Buffer.alloc(8192 - grown.length), source.subarray(0, 100)])
      assert.ok((await readFile(dst)).equals(extended), 'dst after the copy past its end: a zero gap, then the bytes')
      assert.equal((await stat(dst)).size, 8292, 'dst size after the copy past its end')
      assert.ok((await readFile(src)).equals(pattern(10_000, 3)), 'src is unchanged')
    },
  },
  {
    name: 'copy_file_range within one file copies non-overlapping ranges and refuses overlapping ones with EINVAL',
    needs: ['copyFileRange'],
    async run(dir, { copyFileRange, users, stat }) {
      const file = join(dir, 'file')
      const original = pattern(10_000, 11)
      await writeFile(file, original)
      const copy = (from: number, to: number, length: number) => copyFileRange(users.root, { path: file, offset: from }, { path: file, offset: to }, length)
      const expected = Buffer.from(original)
      assert.equal(await copy(0, 5000, 1000), 1000, 'copy [0, 1000) to 5000')
      original.copy(expected, 5000, 0, 1000)
      assert.ok((await readFile(file)).equals(expected), 'bytes after copying forward')
      assert.equal(await copy(9000, 100, 500), 500, 'copy [9000, 9500) to 100')
      original.copy(expected, 100, 9000, 9500)
      assert.ok((await readFile(file)).equals(expected), 'bytes after copying backward')
      assert.equal(await copy(0, 9500, 1000), 1000, 'copy [0, 1000) to 9500: grows the file')
      const grown = Buffer.concat([expected.subarray(0, 9500), expected.subarray(0, 1000)])
      assert.ok((await readFile(file)).equals(grown), 'bytes after growing')
      assert.equal((await stat(file)).size, 10_500, 'size after growing')
      assertErrno(await copy(0, 500, 1000), 'EINVAL', 'overlapping ranges')
      assertErrno(await copy(1000, 500, 1000), 'EINVAL', 'overlapping ranges, backward')
      assert.ok((await readFile(file)).equals(grown), 'bytes after the refusals')
    },
  },
  {
    name: 'copy_file_range by a writer other than root clears S_ISUID and group-executable S_ISGID of the target like a write',
    needs: ['copyFileRange', 'otherUsers'],
    async run(dir, { copyFileRange, users, groups, make, lstat }) {
      const src = join(dir, 'src')
      const dst = join(dir, 'dst')
      await make(src, { content: 'source bytes', mode: 0o644 })
      await make(dst, { content: 'target', uid: users.alice.uid, gid: groups.shared, mode: 0o6775 })
      assert.equal(await copyFileRange(users.carol, { path: src, offset: 0 }, { path: dst, offset: 2 }, 6), 6, 'carol copies through group write permission')
      assertMode(await lstat(dst), S_IFREG | 0o775, 'target mode after her copy')
      assert.equal(await readFile(dst, 'latin1'), 'tasource', 'target bytes')
    },
  },
]
