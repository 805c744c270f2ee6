import { FileType } from '@fusekit/core'
import assert from 'node:assert/strict'
import { assertSameBytes, checkSampleTree, sampleFile, seededRandom } from '../cases/index.js'
import { contractTreeReader } from './sample-io.js'
import type { ContractCase } from './types.js'

/**
 * Cases that only read, over the sample tree: written through the operations on a writable
 * backend, given by a read-only one at its root.
 */
export const readingCases: ContractCase[] = [
  {
    name: 'the sample tree is there: every name, type, permission bits, size, content, symlink target and mtime',
    async run(dir, { fs, sample, capabilities }) {
      await checkSampleTree(await sample(dir), capabilities, contractTreeReader(fs))
    },
  },
  {
    name: 'a hard link of the sample tree is one inode with nlink 2',
    needs: ['hardlinks'],
    async run(dir, { fs, sample }) {
      const root = await sample(dir)
      const [a, b] = [await fs.getattr(`${root}/hello.txt`), await fs.getattr(`${root}/links/hard-hello`)]
      assert.equal(b.ino, a.ino, 'st_ino of both names')
      assert.deepEqual([a.nlink, b.nlink], [2, 2], 'nlink of both names')
    },
  },
  {
    name: 'reads at any offset and length give the bytes there, through one handle and through many',
    async run(dir, { fs, sample }) {
      const path = `${await sample(dir)}/big.bin`
      const content = sampleFile('big.bin').content
      const random = seededRandom(4096)
      const fh = await fs.open(path)
      try {
        const reads = [[0, 1], [511, 2], [512, 512], [4095, 4097], [content.length - 1, 10], [content.length, 10], [content.length + 5000, 10],
          ...Array.from({ length: 100 }, () => [random(content.length), 1 + random(131_072)])] as Array<[number, number]>
        await Promise.all(reads.map(async ([offset, length]) => {
          assertSameBytes(await fs.readAt(path, fh, offset, length), content.subarray(offset, offset + length), `${length} bytes at ${offset}`)
        }))
      } finally {
        await fs.release(path, fh)
      }
      assertSameBytes(await fs.read(path, 1_000_000, 1000), content.subarray(1_000_000, 1_001_000), 'a read through a handle of its own')
    },
  },
  {
    name: 'the root is a directory and a missing name is ENOENT, as an FsError',
    async run(dir, { fs, sample }) {
      const root = await sample(dir)
      assert.equal((await fs.getattr('/')).mode & FileType.S_IFMT, FileType.S_IFDIR, 'type of the root')
      assert.equal(await fs.errno(fs.getattr(`${root}/no-such-name`)), 'ENOENT', 'a missing name')
      assert.equal(await fs.errno(fs.getattr(`${root}/dir/no-such-name`)), 'ENOENT', 'a missing name in a subdirectory')
    },
  },
  {
    name: 'extended attributes are refused with EOPNOTSUPP',
    unless: ['xattrs'],
    async run(dir, { fs, sample, capabilities }) {
      const file = `${await sample(dir)}/hello.txt`
      assert.equal(await fs.errno(fs.getxattr(file, 'user.x')), 'EOPNOTSUPP', 'getxattr')
      if (capabilities.has('writable')) assert.equal(await fs.errno(fs.setxattr(file, 'user.x', Buffer.from('y'))), 'EOPNOTSUPP', 'setxattr')
    },
  },
  {
    name: 'statfs answers: a block size, block counts that add up, names of up to 255 bytes',
    async run(dir, { fs }) {
      const stats = await fs.statfs(dir)
      assert.ok(stats.bsize > 0 && stats.frsize > 0, `block sizes ${stats.bsize} and ${stats.frsize}`)
      assert.ok(stats.blocks > 0 && stats.bfree <= stats.blocks && stats.bavail <= stats.bfree, `blocks ${stats.blocks}, free ${stats.bfree}, available ${stats.bavail} (df shows a size of 0 without them)`)
      assert.equal(stats.namemax, 255, 'longest name')
    },
  },
  {
    name: 'a read-only backend mounts read-only by default (mountDefaults.readOnly), so that the kernel answers every change with EROFS',
    unless: ['writable'],
    async run(_dir, { mountOptions }) {
      assert.equal(mountOptions.readOnly, true, 'readOnly of the mount options it gets by default')
    },
  },
]
