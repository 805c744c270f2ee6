import { chmod, link, mkdir, readdir, readFile, rename, rmdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { eventually, expectErrno, prepareCaseTools, RENAME_EXCHANGE, RENAME_NOREPLACE, type MountProcess, type PreparedCaseTools } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3ObjectStore } from '../src/object-store.js'
import { s3Capabilities } from './s3-capabilities.js'
import { mountFreshBucket } from './s3-mounts.js'

/** Every key of the bucket, sorted. */
async function keysOf(store: S3ObjectStore): Promise<string[]> {
  const keys: string[] = []
  for await (const page of store.list('')) keys.push(...page.objects.map((o) => o.key))
  return keys.sort()
}

describe('names in S3: what a rename, rmdir, link and mknod become', () => {
  let store: S3ObjectStore
  let mount: MountProcess
  let tools: PreparedCaseTools
  beforeAll(async () => {
    ;({ store, mount } = await mountFreshBucket(['--allow-other']))
    tools = await prepareCaseTools(mount.dir, s3Capabilities)
  })
  afterAll(async () => {
    tools?.dispose()
    expect(await mount.stop()).toBe(0)
  })

  it('a new file, directory and symlink belong to the caller, as its uid and gid in the metadata', async () => {
    const { alice } = tools.users
    await mkdir(join(mount.dir, 'shared'), { mode: 0o777 })
    await chmod(join(mount.dir, 'shared'), 0o1777)
    const made = await tools.run(alice, 'sh', ['-c', 'touch "$1/file" && mkdir "$1/dir" && ln -s file "$1/link"', 'sh', join(mount.dir, 'shared')])
    expect(made.code, made.stderr).toBe(0)
    for (const key of ['shared/file', 'shared/dir/', 'shared/link']) {
      expect((await store.head(key))!.metadata, key).toMatchObject({ uid: String(alice.uid), gid: String(alice.gid) })
    }
    expect(await stat(join(mount.dir, 'shared', 'file'))).toMatchObject({ uid: alice.uid, gid: alice.gid })
  })

  it('renameat2: RENAME_NOREPLACE refuses an existing target with EEXIST and moves to a free name; RENAME_EXCHANGE is EINVAL', async () => {
    const dir = join(mount.dir, 'flags')
    await mkdir(dir)
    await writeFile(join(dir, 'a'), 'a')
    await writeFile(join(dir, 'b'), 'b')
    const { root } = tools.users
    expect(await tools.rename(root, join(dir, 'a'), join(dir, 'b'), RENAME_NOREPLACE)).toBe('EEXIST')
    expect(await tools.rename(root, join(dir, 'a'), join(dir, 'b'), RENAME_EXCHANGE)).toBe('EINVAL')
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('b')
    expect(await tools.rename(root, join(dir, 'a'), join(dir, 'c'), RENAME_NOREPLACE)).toBe('ok')
    expect((await readdir(dir)).sort()).toEqual(['b', 'c'])
    expect(await keysOf(store)).toEqual(expect.arrayContaining(['flags/b', 'flags/c']))
    expect(await store.head('flags/a')).toBeUndefined()
  })

  it('a file renamed keeps its metadata and inode number; a directory renamed moves every key under it', async () => {
    await mkdir(join(mount.dir, 'tree', 'sub'), { recursive: true })
    await writeFile(join(mount.dir, 'tree', 'sub', 'deep'), 'deep')
    await writeFile(join(mount.dir, 'tree', 'top'), 'top', { mode: 0o600 })
    // A subdirectory nobody made a marker for (written with the SDK: s3fs's, or another tool's).
    await store.put('tree/implied/file', Buffer.from('implied'))
    const before = await stat(join(mount.dir, 'tree', 'top'))
    await rename(join(mount.dir, 'tree', 'top'), join(mount.dir, 'tree', 'moved'))
    expect(await stat(join(mount.dir, 'tree', 'moved'))).toMatchObject({ ino: before.ino, mode: 0o100600, mtimeMs: before.mtimeMs })
    expect((await store.head('tree/moved'))!.metadata.mode).toBe(String(0o100600))

    await rename(join(mount.dir, 'tree'), join(mount.dir, 'renamed'))
    expect((await keysOf(store)).filter((k) => k.startsWith('tree/') || k.startsWith('renamed/'))).toEqual([
      'renamed/',
      'renamed/implied/file',
      'renamed/moved',
      'renamed/sub/',
      'renamed/sub/deep',
    ])
    expect(await readFile(join(mount.dir, 'renamed', 'implied', 'file'), 'utf8')).toBe('implied')
    expect(await readFile(join(mount.dir, 'renamed', 'sub', 'deep'), 'utf8')).toBe('deep')
    await expectErrno(stat(join(mount.dir, 'tree')), 'ENOENT')
  })

  it("a directory's times follow its entries, and reach its marker within seconds; times set on purpose win", async () => {
    const dir = join(mount.dir, 'timed')
    await mkdir(dir)
    const before = Date.now()
    await writeFile(join(dir, 'entry'), 'x')
    const shown = await stat(dir)
    expect(shown.mtimeMs).toBeGreaterThanOrEqual(before - 5)
    expect(shown.ctimeMs).toBe(shown.mtimeMs)
    await eventually(async () => expect(Number((await store.head('timed/'))!.metadata.mtime)).toBeGreaterThanOrEqual(Math.floor(before / 1000)), 8000)

    // cp -a fills a directory, then sets its times: the entries' pending change must not undo them.
    await writeFile(join(dir, 'another'), 'y')
    await utimes(dir, 1_000_000_000, 1_000_000_000)
    await new Promise((resolve) => setTimeout(resolve, 6000))
    expect((await stat(dir)).mtimeMs).toBe(1_000_000_000_000)
    expect((await store.head('timed/'))!.metadata.mtime).toBe('1000000000')
  })

  it('rmdir of a directory whose only content is a subdirectory without a marker: ENOTEMPTY', async () => {
    await mkdir(join(mount.dir, 'holder'))
    await store.put('holder/unmarked/inside', Buffer.from('x'))
    await expectErrno(rmdir(join(mount.dir, 'holder')), 'ENOTEMPTY')
    expect(await store.head('holder/')).toBeDefined()
    await store.delete('holder/unmarked/inside')
    await rmdir(join(mount.dir, 'holder'))
    expect(await store.head('holder/')).toBeUndefined()
  })

  it('S3 has no hard links, FIFOs or devices: EPERM, and nothing is made', async () => {
    await writeFile(join(mount.dir, 'single'), 'one')
    await expectErrno(link(join(mount.dir, 'single'), join(mount.dir, 'second')), 'EPERM')
    for (const [name, args] of [['fifo', ['p']], ['device', ['c', '1', '3']]] as const) {
      const made = await tools.run(tools.users.root, 'mknod', [join(mount.dir, name), ...args])
      expect(made.code, name).not.toBe(0)
      expect(made.stderr, name).toContain('Operation not permitted')
    }
    expect((await readdir(mount.dir)).filter((n) => ['second', 'fifo', 'device'].includes(n))).toEqual([])
    for (const key of ['second', 'fifo', 'device']) expect(await store.head(key), key).toBeUndefined()
  })
})
