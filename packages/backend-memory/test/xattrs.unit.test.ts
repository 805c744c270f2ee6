import { XattrFlags } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { expectFsError, memoryPaths, writeFile } from './unit-helpers.js'

const { XATTR_CREATE, XATTR_REPLACE } = XattrFlags

async function withFile() {
  const fs = memoryPaths('1M')
  await writeFile(fs, '/f', 'x')
  return fs
}

describe('extended attributes', () => {
  it('sets, gets, lists and removes', async () => {
    const fs = await withFile()
    await fs.setxattr('/f', 'user.a', Buffer.from('one'), 0)
    await fs.setxattr('/f', 'user.b', Buffer.alloc(0), 0)
    expect((await fs.getxattr('/f', 'user.a')).toString()).toBe('one')
    expect((await fs.getxattr('/f', 'user.b')).length).toBe(0)
    expect(await fs.listxattr('/f')).toEqual(['user.a', 'user.b'])
    await fs.setxattr('/f', 'user.a', Buffer.from('two'), 0)
    expect((await fs.getxattr('/f', 'user.a')).toString()).toBe('two')
    await fs.removexattr('/f', 'user.a')
    expect(await fs.listxattr('/f')).toEqual(['user.b'])
  })

  it('works on directories and symlinks, and lists nothing where none were set', async () => {
    const fs = await withFile()
    await fs.mkdir('/d', 0o755)
    await fs.symlink('t', '/l')
    expect(await fs.listxattr('/d')).toEqual([])
    await fs.setxattr('/d', 'trusted.x', Buffer.from('d'), 0)
    await fs.setxattr('/l', 'trusted.y', Buffer.from('l'), 0)
    expect((await fs.getxattr('/d', 'trusted.x')).toString()).toBe('d')
    expect((await fs.getxattr('/l', 'trusted.y')).toString()).toBe('l')
  })

  it('copies the value on set, and returns a copy on get', async () => {
    const fs = await withFile()
    const lent = Buffer.from('value')
    await fs.setxattr('/f', 'user.v', lent, 0)
    lent.fill(0)
    const got = await fs.getxattr('/f', 'user.v')
    got.fill(0x21)
    expect((await fs.getxattr('/f', 'user.v')).toString()).toBe('value')
  })

  it('honours XATTR_CREATE (EEXIST) and XATTR_REPLACE (ENODATA)', async () => {
    const fs = await withFile()
    await expectFsError(() => fs.setxattr('/f', 'user.a', Buffer.from('1'), XATTR_REPLACE), 'ENODATA')
    await fs.setxattr('/f', 'user.a', Buffer.from('1'), XATTR_CREATE)
    await expectFsError(() => fs.setxattr('/f', 'user.a', Buffer.from('2'), XATTR_CREATE), 'EEXIST')
    await fs.setxattr('/f', 'user.a', Buffer.from('3'), XATTR_REPLACE)
    expect((await fs.getxattr('/f', 'user.a')).toString()).toBe('3')
    await expectFsError(() => fs.setxattr('/f', 'user.a', Buffer.from('4'), 4), 'EINVAL')
  })

  it('answers ENODATA for a missing attribute on get and remove', async () => {
    const fs = await withFile()
    await expectFsError(() => fs.getxattr('/f', 'user.none'), 'ENODATA')
    await expectFsError(() => fs.removexattr('/f', 'user.none'), 'ENODATA')
    await fs.setxattr('/f', 'user.a', Buffer.from('1'), 0)
    await expectFsError(() => fs.getxattr('/f', 'user.none'), 'ENODATA')
    await expectFsError(() => fs.getxattr('/none', 'user.a'), 'ENOENT')
  })

  it('limits names to 1-255 bytes (ERANGE) and values to 64 KiB (E2BIG), like Linux', async () => {
    const fs = await withFile()
    await expectFsError(() => fs.setxattr('/f', 'user.' + 'u'.repeat(251), Buffer.from('1'), 0), 'ERANGE')
    await expectFsError(() => fs.setxattr('/f', 'user.' + 'é'.repeat(126), Buffer.from('1'), 0), 'ERANGE')
    await expectFsError(() => fs.setxattr('/f', '', Buffer.from('1'), 0), 'ERANGE')
    await expectFsError(() => fs.getxattr('/f', 'user.' + 'u'.repeat(251)), 'ERANGE')
    await expectFsError(() => fs.setxattr('/f', 'user.big', Buffer.alloc(64 * 1024 + 1), 0), 'E2BIG')
    const longest = 'user.' + 'u'.repeat(250)
    await fs.setxattr('/f', longest, Buffer.alloc(64 * 1024), 0)
    expect((await fs.getxattr('/f', longest)).length).toBe(64 * 1024)
  })

  it('keeps the user, trusted and security namespaces; refuses system (POSIX ACLs) and bare names with EOPNOTSUPP', async () => {
    const fs = await withFile()
    for (const name of ['user.x', 'trusted.x', 'security.x']) await fs.setxattr('/f', name, Buffer.from('v'), 0)
    for (const name of ['system.posix_acl_access', 'system.posix_acl_default', 'plain', 'other.x']) {
      await expectFsError(() => fs.setxattr('/f', name, Buffer.from('v'), 0), 'EOPNOTSUPP')
      await expectFsError(() => fs.getxattr('/f', name), 'EOPNOTSUPP')
      await expectFsError(() => fs.removexattr('/f', name), 'EOPNOTSUPP')
    }
    expect(await fs.listxattr('/f')).toEqual(['user.x', 'trusted.x', 'security.x'])
  })

  it('keeps the list of names within 64 KiB so listxattr can always answer', async () => {
    const fs = await withFile()
    const name = (i: number) => `user.${String(i).padStart(4, '0')}${'n'.repeat(246)}`
    // 255 bytes + NUL each: 256 names fill 64 KiB exactly.
    for (let i = 0; i < 256; i++) await fs.setxattr('/f', name(i), Buffer.alloc(0), 0)
    await expectFsError(() => fs.setxattr('/f', 'user.one-more', Buffer.alloc(0), 0), 'ENOSPC')
    await fs.setxattr('/f', name(0), Buffer.from('replacing is fine'), 0)
    await fs.removexattr('/f', name(1))
    await fs.setxattr('/f', 'user.one-more', Buffer.alloc(0), 0)
    expect(await fs.listxattr('/f')).toHaveLength(256)
  })

  it('updates ctime', async () => {
    const fs = await withFile()
    const old = { sec: 5, nsec: 0 }
    await fs.utimens('/f', old, old)
    const before = (await fs.getattr('/f')).ctime
    await fs.setxattr('/f', 'user.a', Buffer.from('1'), 0)
    const afterSet = (await fs.getattr('/f')).ctime
    expect(afterSet.sec * 1e9 + afterSet.nsec).toBeGreaterThanOrEqual(before.sec * 1e9 + before.nsec)
    expect((await fs.getattr('/f')).mtime).toEqual(old)
  })
})
