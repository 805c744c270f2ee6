import { FileType, OpenFlags } from '@fusekit/core'
import assert from 'node:assert/strict'
import { assertMode, assertSameBytes, assertTime, samplePattern } from '../cases/index.js'
import { nanoseconds } from './sample-io.js'
import type { ContractCase } from './types.js'

const { S_IFREG, S_IFDIR } = FileType

/** Files: create, write, read, holes, setattr, the caller as owner, open files without a name. */
export const fileCases: ContractCase[] = [
  {
    name: 'a new file has the mode asked for, holds what is written, reads zeros in a hole and nothing past its end',
    async run(dir, { fs }) {
      const file = `${dir}/file`
      await fs.writeFile(file, 'hello', 0o640)
      const attr = await fs.getattr(file)
      assertMode(attr.mode, S_IFREG | 0o640, 'the new file')
      assert.deepEqual([attr.size, attr.nlink], [5, 1], 'size and nlink of the new file')
      assert.ok(attr.ino > 0, `st_ino ${attr.ino}`)
      assert.equal((await fs.readFile(file)).toString(), 'hello', 'bytes read back')
      await fs.write(file, 'X', 10)
      assert.equal((await fs.getattr(file)).size, 11, 'size after a write past the end')
      assertSameBytes(await fs.readFile(file), Buffer.from('hello\0\0\0\0\0X'), 'a hole reads as zeros')
      assert.equal((await fs.read(file, 100, 10)).length, 0, 'bytes read past the end')

      const big = samplePattern(1_000_000)
      await fs.writeFile(`${dir}/big`, big)
      assert.equal((await fs.getattr(`${dir}/big`)).size, big.length, 'size of a file written in 128 KiB pieces')
      assertSameBytes(await fs.readFile(`${dir}/big`), big, 'the big file read back')
      assertSameBytes(await fs.read(`${dir}/big`, 777_777, 4096), big.subarray(777_777, 777_777 + 4096), '4 KiB read at 777777')
    },
  },
  {
    name: 'setattr: truncate shrinks and grows with zeros, chmod keeps the file type, utimens sets each time at the backend\'s precision',
    async run(dir, { fs, capabilities }) {
      const file = `${dir}/file`
      await fs.writeFile(file, 'abcdefgh')
      await fs.truncate(file, 3)
      assertSameBytes(await fs.readFile(file), Buffer.from('abc'), 'after truncate to 3')
      await fs.truncate(file, 6)
      assertSameBytes(await fs.readFile(file), Buffer.from('abc\0\0\0'), 'after truncate to 6')
      assert.equal((await fs.getattr(file)).size, 6, 'size after growing')

      for (const mode of [0o600, 0o4755, 0o1777, 0o000]) {
        await fs.chmod(file, mode)
        assertMode((await fs.getattr(file)).mode, S_IFREG | mode, `after chmod 0${mode.toString(8)}`)
      }
      await fs.mkdir(`${dir}/sub`)
      await fs.chmod(`${dir}/sub`, 0o700)
      assertMode((await fs.getattr(`${dir}/sub`)).mode, S_IFDIR | 0o700, 'a directory after chmod')

      const atime = { sec: 1_600_000_000, nsec: 123_456_789 }
      const mtime = { sec: 2_300_000_000, nsec: 987_654_321 }
      await fs.utimens(file, atime, mtime)
      let attr = await fs.getattr(file)
      assertTime(nanoseconds(attr.atime), nanoseconds(atime), capabilities, 'atime')
      assertTime(nanoseconds(attr.mtime), nanoseconds(mtime), capabilities, 'mtime past 2038')
      await fs.utimens(file, undefined, atime)
      attr = await fs.getattr(file)
      assertTime(nanoseconds(attr.atime), nanoseconds(atime), capabilities, 'atime left alone')
      assertTime(nanoseconds(attr.mtime), nanoseconds(atime), capabilities, 'mtime set alone')
    },
  },
  {
    name: 'new files, directories and symlinks belong to the caller\'s uid and gid',
    needs: ['callerIdentity'],
    async run(dir, { fs, capabilities }) {
      await fs.chmod(dir, 0o777)
      const someone = fs.as(4321, 8765)
      await someone.writeFile(`${dir}/file`, 'x')
      await someone.mkdir(`${dir}/sub`)
      if (capabilities.has('symlinks')) await someone.symlink('file', `${dir}/link`)
      for (const name of ['file', 'sub', ...(capabilities.has('symlinks') ? ['link'] : [])]) {
        const { uid, gid } = await fs.getattr(`${dir}/${name}`)
        assert.deepEqual({ uid, gid }, { uid: 4321, gid: 8765 }, `owner of ${name}`)
      }
    },
  },
  {
    name: 'an open file keeps working through its handle after its last name is gone',
    needs: ['unlinkedOpenFiles'],
    async run(dir, { fs }) {
      const file = `${dir}/file`
      await fs.writeFile(file, 'before;')
      const fh = await fs.open(file, OpenFlags.O_RDWR)
      try {
        await fs.unlink(file)
        assert.equal(await fs.errno(fs.getattr(file)), 'ENOENT', 'the name is gone')
        await fs.writeAt(file, fh, Buffer.from('after'), 7)
        assertSameBytes(await fs.readAt(file, fh, 0, 100), Buffer.from('before;after'), 'bytes through the handle')
      } finally {
        await fs.release(file, fh)
      }
      assert.deepEqual(await fs.list(dir), [], 'names at the end')
    },
  },
]
