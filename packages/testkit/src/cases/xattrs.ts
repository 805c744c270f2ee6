import { lchown, open, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert } from './assertions.js'
import { run } from './shell.js'
import type { PosixCase } from './types.js'

export const xattrCases: PosixCase[] = [
  {
    name: 'a write removes the file capabilities (security.capability), through a read-write handle or a write-only one, as tmpfs does',
    needs: ['xattrs'],
    async run(dir) {
      const file = join(dir, 'tool')
      await writeFile(file, 'x')
      const capabilities = async () => (await run('getcap', [file])).stdout.trim()
      for (const flags of ['r+', 'a']) {
        await run('setcap', ['cap_net_raw+ep', file])
        assert.ok((await capabilities()).includes('cap_net_raw'), `setcap took (before a write through '${flags}')`)
        const handle = await open(file, flags)
        await handle.write('y')
        await handle.close()
        assert.equal(await capabilities(), '', `the capabilities after a write through '${flags}'`)
      }
    },
  },
  {
    name: 'user.* extended attributes need read permission to get, write permission to set or remove; listing needs neither',
    needs: ['xattrs', 'otherUsers'],
    async run(dir, { setxattr, getxattr, removexattr, listxattr, users, make, as }) {
      const { alice, bob } = users
      const file = join(dir, 'file')
      await make(file, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o644 })
      const binary = '\0\x01\xfe\xff value with a NUL'
      assert.equal(await setxattr(alice, file, 'user.color', 'red'), 'ok', 'alice sets user.color')
      assert.equal(await setxattr(alice, file, 'user.empty', ''), 'ok', 'alice sets an empty value')
      assert.equal(await setxattr(alice, file, 'user.binary', binary), 'ok', 'alice sets a binary value')
      assert.equal(await setxattr(alice, file, 'user.large', 'L'.repeat(4000)), 'ok', 'alice sets a 4000-byte value')
      assert.deepEqual(await getxattr(bob, file, 'user.color'), { value: 'red' }, 'bob reads user.color of a 0644 file')
      assert.deepEqual(await getxattr(bob, file, 'user.empty'), { value: '' }, 'the empty value')
      assert.deepEqual(await getxattr(bob, file, 'user.binary'), { value: binary }, 'the binary value')
      assert.deepEqual(await getxattr(bob, file, 'user.large'), { value: 'L'.repeat(4000) }, 'the large value')
      assert.deepEqual(await getxattr(bob, file, 'user.missing'), { errno: 'ENODATA' }, 'a missing attribute')
      assert.equal(await setxattr(bob, file, 'user.color', 'blue'), 'EACCES', 'bob sets user.color of a 0644 file')
      assert.equal(await removexattr(bob, file, 'user.color'), 'EACCES', 'bob removes user.color of a 0644 file')

      await as(users.root, ({ fs }, f: string) => fs.chmod(f, 0o600), file)
      assert.deepEqual(await getxattr(bob, file, 'user.color'), { errno: 'EACCES' }, 'bob reads user.color of a 0600 file')
      assert.deepEqual(await listxattr(bob, file), { names: ['user.binary', 'user.color', 'user.empty', 'user.large'] }, 'bob lists the names of a 0600 file')

      assert.equal(await setxattr(alice, file, 'user.color', 'green'), 'ok', 'alice replaces user.color')
      assert.deepEqual(await getxattr(alice, file, 'user.color'), { value: 'green' }, 'the replaced value')
      assert.equal(await removexattr(alice, file, 'user.color'), 'ok', 'alice removes user.color')
      assert.equal(await removexattr(alice, file, 'user.color'), 'ENODATA', 'removing it again')
      assert.deepEqual(await listxattr(alice, file), { names: ['user.binary', 'user.empty', 'user.large'] }, 'names after the removal')
    },
  },
  {
    name: 'user.* attributes exist only on files and directories, not on symlinks; a sticky directory takes them only from its owner',
    needs: ['xattrs', 'otherUsers', 'symlinks'],
    async run(dir, { setxattr, getxattr, users, make }) {
      const { alice, bob } = users
      const file = join(dir, 'file')
      const link = join(dir, 'link')
      const sub = join(dir, 'sub')
      const sticky = join(dir, 'sticky')
      await make(file, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o666 })
      await make(sub, { directory: true, uid: alice.uid, gid: alice.gid, mode: 0o777 })
      await make(sticky, { directory: true, uid: alice.uid, gid: alice.gid, mode: 0o1777 })
      await symlink('file', link)
      await lchown(link, alice.uid, alice.gid)

      assert.equal(await setxattr(alice, link, 'user.on-link', 'x', { noFollow: true }), 'EPERM', 'lsetxattr user.* on a symlink')
      assert.deepEqual(await getxattr(alice, link, 'user.on-link', { noFollow: true }), { errno: 'ENODATA' }, 'lgetxattr user.* on a symlink')
      assert.equal(await setxattr(alice, link, 'user.through-link', 't'), 'ok', 'setxattr through a symlink sets the target')
      assert.deepEqual(await getxattr(alice, file, 'user.through-link'), { value: 't' }, 'on the target')

      assert.equal(await setxattr(bob, sub, 'user.dir', 'd'), 'ok', 'bob sets user.* on a 0777 directory')
      assert.deepEqual(await getxattr(alice, sub, 'user.dir'), { value: 'd' }, 'on the directory')
      assert.equal(await setxattr(bob, sticky, 'user.dir', 'd'), 'EPERM', "bob sets user.* on alice's sticky 01777 directory")
      assert.equal(await setxattr(alice, sticky, 'user.dir', 'd'), 'ok', 'alice sets user.* on her sticky directory')
    },
  },
  {
    name: 'trusted.* attributes are root\'s: others get EPERM setting them, ENODATA reading them, and do not see them listed',
    needs: ['xattrs', 'otherUsers', 'callerIdentity'],
    async run(dir, { setxattr, getxattr, listxattr, users, make }) {
      const { alice, root } = users
      const file = join(dir, 'file')
      await make(file, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o666 })
      assert.equal(await setxattr(alice, file, 'trusted.mine', 'a'), 'EPERM', 'alice sets trusted.* on her file')
      assert.equal(await setxattr(root, file, 'trusted.secret', 's'), 'ok', 'root sets trusted.*')
      assert.equal(await setxattr(alice, file, 'user.visible', 'v'), 'ok', 'alice sets user.*')
      assert.deepEqual(await getxattr(alice, file, 'trusted.secret'), { errno: 'ENODATA' }, 'alice reads trusted.*')
      assert.deepEqual(await getxattr(root, file, 'trusted.secret'), { value: 's' }, 'root reads trusted.*')
      assert.deepEqual(await listxattr(alice, file), { names: ['user.visible'] }, 'alice lists')
      assert.deepEqual(await listxattr(root, file), { names: ['trusted.secret', 'user.visible'] }, 'root lists')
      assert.equal(await setxattr(root, file, 'nonamespace', 'x'), 'ENOTSUP', 'a name outside every namespace')
    },
  },
]
