import { FileType } from '@fusekit/core'
import assert from 'node:assert/strict'
import { assertMode } from '../cases/index.js'
import type { ContractCase } from './types.js'

const { S_IFLNK, S_IFREG } = FileType
const REFUSED = ['EPERM', 'EOPNOTSUPP', 'ENOSYS']

/** Symlinks, hard links and ownership: each either done right or refused cleanly. */
export const linkCases: ContractCase[] = [
  {
    name: 'symlink stores its target byte for byte; getattr shows S_IFLNK 0777 with the target\'s length',
    needs: ['symlinks'],
    async run(dir, { fs }) {
      const targets = ['file', '../up/there', '/absolute/target', 'caf\u00e9 \u{1f600}', `${'long/'.repeat(200)}end`]
      for (const [i, target] of targets.entries()) await fs.symlink(target, `${dir}/link-${i}`)
      for (const [i, target] of targets.entries()) {
        const attr = await fs.getattr(`${dir}/link-${i}`)
        assertMode(attr.mode, S_IFLNK | 0o777, `link-${i}`)
        assert.equal(attr.size, Buffer.byteLength(target), `size of link-${i}`)
        assert.equal(await fs.readlink(`${dir}/link-${i}`), target, `target of link-${i}`)
      }
      assert.equal(await fs.errno(fs.symlink('x', `${dir}/link-0`)), 'EEXIST', 'symlink onto an existing name')
    },
  },
  {
    name: 'symlink is refused cleanly (EPERM, EOPNOTSUPP or ENOSYS) and makes nothing',
    unless: ['symlinks'],
    async run(dir, { fs }) {
      const answer = await fs.errno(fs.symlink('target', `${dir}/link`))
      assert.ok(REFUSED.includes(answer), `symlink answered ${answer}`)
      assert.deepEqual(await fs.list(dir), [], 'names after the refusal')
    },
  },
  {
    name: 'link gives a file a second name: one inode, nlink 2, the same bytes; unlinking one name leaves the other',
    needs: ['hardlinks'],
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/a`, 'shared')
      await fs.link(`${dir}/a`, `${dir}/b`)
      const [a, b] = [await fs.getattr(`${dir}/a`), await fs.getattr(`${dir}/b`)]
      assert.equal(b.ino, a.ino, 'st_ino of both names')
      assert.deepEqual([a.nlink, b.nlink], [2, 2], 'nlink of both names')
      await fs.write(`${dir}/b`, 'S', 0)
      assert.equal((await fs.readFile(`${dir}/a`)).toString(), 'Shared', 'a write through one name shows through the other')
      await fs.unlink(`${dir}/a`)
      const last = await fs.getattr(`${dir}/b`)
      assertMode(last.mode & ~0o7777, S_IFREG, 'the last name')
      assert.equal(last.nlink, 1, 'nlink of the last name')
    },
  },
  {
    name: 'link is refused cleanly (EPERM, EOPNOTSUPP or ENOSYS) and makes nothing',
    unless: ['hardlinks'],
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/a`, 'x')
      const answer = await fs.errno(fs.link(`${dir}/a`, `${dir}/b`))
      assert.ok(REFUSED.includes(answer), `link answered ${answer}`)
      assert.deepEqual(await fs.list(dir), ['a'], 'names after the refusal')
    },
  },
  {
    name: 'chown sets uid and gid; -1 leaves one as it is',
    needs: ['chown'],
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/file`, 'x')
      await fs.chown(`${dir}/file`, 1234, 5678)
      let attr = await fs.getattr(`${dir}/file`)
      assert.deepEqual([attr.uid, attr.gid], [1234, 5678], 'owner after chown')
      await fs.chown(`${dir}/file`, -1, 42)
      attr = await fs.getattr(`${dir}/file`)
      assert.deepEqual([attr.uid, attr.gid], [1234, 42], 'owner after chown(-1, 42)')
    },
  },
  {
    name: 'chown is refused cleanly (EPERM, EOPNOTSUPP or ENOSYS) and the owner stays',
    unless: ['chown'],
    async run(dir, { fs }) {
      await fs.writeFile(`${dir}/file`, 'x')
      const { uid, gid } = await fs.getattr(`${dir}/file`)
      const answer = await fs.errno(fs.chown(`${dir}/file`, uid + 1, gid + 1))
      assert.ok(REFUSED.includes(answer), `chown answered ${answer}`)
      const after = await fs.getattr(`${dir}/file`)
      assert.deepEqual([after.uid, after.gid], [uid, gid], 'owner after the refusal')
    },
  },
]
