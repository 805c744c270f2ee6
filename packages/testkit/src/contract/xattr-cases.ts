import { XattrFlags } from '@fusekit/core'
import assert from 'node:assert/strict'
import type { ContractCase } from './types.js'

/** Extended attributes: kept exactly, or refused with EOPNOTSUPP. */
export const xattrCases: ContractCase[] = [
  {
    name: 'extended attributes are set, read, listed and removed; ENODATA when missing, EEXIST and ENODATA for XATTR_CREATE and XATTR_REPLACE',
    needs: ['xattrs'],
    async run(dir, { fs }) {
      const file = `${dir}/file`
      await fs.writeFile(file, 'x')
      const binary = Buffer.from([0, 1, 0xfe, 0xff, 0])
      await fs.setxattr(file, 'user.color', Buffer.from('red'))
      await fs.setxattr(file, 'user.binary', binary)
      await fs.setxattr(file, 'user.empty', Buffer.alloc(0))
      assert.equal((await fs.getxattr(file, 'user.color')).toString(), 'red', 'user.color')
      assert.ok((await fs.getxattr(file, 'user.binary')).equals(binary), 'a binary value')
      assert.equal((await fs.getxattr(file, 'user.empty')).length, 0, 'an empty value')
      assert.deepEqual((await fs.listxattr(file)).sort(), ['user.binary', 'user.color', 'user.empty'], 'names listed')
      assert.equal(await fs.errno(fs.getxattr(file, 'user.missing')), 'ENODATA', 'a missing attribute')
      assert.equal(await fs.errno(fs.setxattr(file, 'user.color', Buffer.from('x'), XattrFlags.XATTR_CREATE)), 'EEXIST', 'XATTR_CREATE of an existing one')
      assert.equal(await fs.errno(fs.setxattr(file, 'user.missing', Buffer.from('x'), XattrFlags.XATTR_REPLACE)), 'ENODATA', 'XATTR_REPLACE of a missing one')
      await fs.setxattr(file, 'user.color', Buffer.from('blue'), XattrFlags.XATTR_REPLACE)
      assert.equal((await fs.getxattr(file, 'user.color')).toString(), 'blue', 'the replaced value')
      await fs.removexattr(file, 'user.color')
      assert.equal(await fs.errno(fs.removexattr(file, 'user.color')), 'ENODATA', 'removing it again')
      assert.deepEqual((await fs.listxattr(file)).sort(), ['user.binary', 'user.empty'], 'names after the removal')
    },
  },
]
