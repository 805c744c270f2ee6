import { RenameFlags } from '@fusekit/core'
import assert from 'node:assert/strict'
import type { ContractCase } from './types.js'

/** rename, with and without renameat2's flags. */
export const renameCases: ContractCase[] = [
  {
    name: 'rename keeps the inode, moves across directories, replaces a file and an empty directory, and refuses ENOTEMPTY, EISDIR, ENOTDIR, ENOENT',
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/a`, 'A')
      await fs.mkdir(`${dir}/other`)
      const { ino } = await fs.getattr(`${dir}/a`)
      await fs.rename(`${dir}/a`, `${dir}/b`)
      assert.equal(await fs.errno(fs.getattr(`${dir}/a`)), 'ENOENT', 'the old name')
      assert.equal((await fs.getattr(`${dir}/b`)).ino, ino, 'st_ino after a rename')
      await fs.rename(`${dir}/b`, `${dir}/other/c`)
      assert.equal((await fs.readFile(`${dir}/other/c`)).toString(), 'A', 'bytes after a move to another directory')

      await fs.writeFile(`${dir}/new`, 'new')
      await fs.rename(`${dir}/new`, `${dir}/other/c`)
      assert.equal((await fs.readFile(`${dir}/other/c`)).toString(), 'new', 'a replaced file gives the new bytes')
      assert.deepEqual(await fs.list(dir), ['other'], 'names after replacing')

      await fs.mkdir(`${dir}/full`)
      await fs.writeFile(`${dir}/full/inner`, 'i')
      await fs.mkdir(`${dir}/empty`)
      await fs.writeFile(`${dir}/file`, 'f')
      const refusals: Array<[string, string, string, string]> = [
        ['a directory onto one with an entry', 'empty', 'full', 'ENOTEMPTY'],
        ['a file onto a directory', 'file', 'empty', 'EISDIR'],
        ['a directory onto a file', 'empty', 'file', 'ENOTDIR'],
        ['a missing name', 'missing', 'anything', 'ENOENT'],
        ['into a missing directory', 'file', 'missing/file', 'ENOENT'],
      ]
      for (const [what, from, to, code] of refusals) assert.equal(await fs.errno(fs.rename(`${dir}/${from}`, `${dir}/${to}`)), code, `rename of ${what}`)
      await fs.rename(`${dir}/full`, `${dir}/empty`)
      assert.deepEqual(await fs.list(`${dir}/empty`), ['inner'], 'a directory put in place of an empty one')
      assert.deepEqual(await fs.list(dir), ['empty', 'file', 'other'], 'names at the end')
    },
  },
  {
    name: 'RENAME_NOREPLACE refuses an existing name with EEXIST; RENAME_EXCHANGE swaps two names',
    needs: ['renameFlags'],
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/a`, 'A')
      await fs.writeFile(`${dir}/b`, 'B')
      await fs.mkdir(`${dir}/d`)
      assert.equal(await fs.errno(fs.rename(`${dir}/a`, `${dir}/b`, RenameFlags.NOREPLACE)), 'EEXIST', 'NOREPLACE onto an existing name')
      await fs.rename(`${dir}/a`, `${dir}/c`, RenameFlags.NOREPLACE)
      await fs.rename(`${dir}/c`, `${dir}/d`, RenameFlags.EXCHANGE)
      assert.equal((await fs.readFile(`${dir}/d`)).toString(), 'A', 'd is the file after EXCHANGE')
      assert.deepEqual(await fs.list(`${dir}/c`), [], 'c is the directory after EXCHANGE')
      assert.equal(await fs.errno(fs.rename(`${dir}/b`, `${dir}/missing`, RenameFlags.EXCHANGE)), 'ENOENT', 'EXCHANGE with a missing name')
    },
  },
  {
    name: 'renameat2 flags the backend does not do are refused with EINVAL, and nothing moves',
    unless: ['renameFlags'],
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/a`, 'A')
      await fs.writeFile(`${dir}/b`, 'B')
      assert.equal(await fs.errno(fs.rename(`${dir}/a`, `${dir}/c`, RenameFlags.NOREPLACE)), 'EINVAL', 'NOREPLACE')
      assert.equal(await fs.errno(fs.rename(`${dir}/a`, `${dir}/b`, RenameFlags.EXCHANGE)), 'EINVAL', 'EXCHANGE')
      assert.deepEqual(await fs.list(dir), ['a', 'b'], 'names after the refusals')
      assert.equal((await fs.readFile(`${dir}/b`)).toString(), 'B', 'b kept its bytes')
    },
  },
]
