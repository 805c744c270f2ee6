import { appendFile, link, lstat, mkdir, mkdtemp, open, readdir, readFile, readlink, rename, rm, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import type { PosixSuiteContext } from './posix-suite.js'
import { registerRenameCases } from './posix-suite-rename.js'
import { expectErrno, expectOneOfErrnos, freshStat, run } from './posix-suite-tools.js'

// What a filesystem may answer when it does not do an operation at all.
const REFUSED = ['EPERM', 'ENOTSUP', 'ENOSYS']

/** Names: directories, links, name length limits, big directories, and rename. */
export function registerNamespaceCases(suite: PosixSuiteContext): void {
  it('reports mkdir, rmdir and unlink errors with the right errno', async () => {
    const dir = await suite.caseDir('mkdir rmdir errors')
    await mkdir(join(dir, 'd'))
    await writeFile(join(dir, 'f'), 'file')
    await writeFile(join(dir, 'd', 'inner'), 'x')

    await expectErrno(mkdir(join(dir, 'd')), 'EEXIST')
    await expectErrno(mkdir(join(dir, 'f')), 'EEXIST')
    await expectErrno(mkdir(join(dir, 'missing', 'd')), 'ENOENT')
    await expectErrno(mkdir(join(dir, 'f', 'd')), 'ENOTDIR')
    await expectErrno(rmdir(join(dir, 'd')), 'ENOTEMPTY')
    await expectErrno(rmdir(join(dir, 'missing')), 'ENOENT')
    await expectErrno(rmdir(join(dir, 'f')), 'ENOTDIR')
    await expectErrno(unlink(join(dir, 'd')), 'EISDIR')
    await expectErrno(unlink(join(dir, 'missing')), 'ENOENT')
    await expectErrno(writeFile(join(dir, 'missing', 'f'), 'x'), 'ENOENT')
    await expectErrno(writeFile(join(dir, 'd'), 'x'), 'EISDIR')

    await run('mkdir', ['-p', join(dir, 'p', 'q', 'r')])
    expect((await stat(join(dir, 'p', 'q', 'r'))).isDirectory()).toBe(true)
    await rmdir(join(dir, 'p', 'q', 'r'))
    expect(await readdir(join(dir, 'p', 'q'))).toEqual([])
    await unlink(join(dir, 'd', 'inner'))
    await rmdir(join(dir, 'd'))
    expect((await readdir(dir)).sort()).toEqual(['f', 'p'])
  })

  it('takes names of 255 bytes and refuses 256 with ENAMETOOLONG', async () => {
    const dir = await suite.caseDir('name length')
    const longest = 'n'.repeat(255)
    const longestMultibyte = 'é'.repeat(127) + 'a'
    for (const name of [longest, longestMultibyte]) {
      await writeFile(join(dir, name), name)
      expect(await readFile(join(dir, name), 'utf8')).toBe(name)
    }
    expect((await readdir(dir)).sort()).toEqual([longest, longestMultibyte].sort())
    await rename(join(dir, longest), join(dir, 'm'.repeat(255)))

    for (const tooLong of ['n'.repeat(256), 'é'.repeat(128)]) {
      const path = join(dir, tooLong)
      await expectErrno(writeFile(path, 'x'), 'ENAMETOOLONG')
      await expectErrno(mkdir(path), 'ENAMETOOLONG')
      await expectErrno(stat(path), 'ENAMETOOLONG')
      await expectErrno(rename(join(dir, longestMultibyte), path), 'ENAMETOOLONG')
      if (suite.capabilities.symlinks) await expectErrno(symlink('target', path), 'ENAMETOOLONG')
      if (suite.capabilities.hardlinks) await expectErrno(link(join(dir, longestMultibyte), path), 'ENAMETOOLONG')
    }
    expect((await readdir(dir)).sort()).toEqual(['m'.repeat(255), longestMultibyte].sort())
  })

  if (suite.capabilities.hardlinks) {
    it('hard links share one inode, its content and a link count', async () => {
      const dir = await suite.caseDir('hard links')
      const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name)) as [string, string, string]
      await writeFile(a, 'one')
      await link(a, b)
      await run('ln', [a, c])
      const stats = await Promise.all([a, b, c].map(freshStat))
      expect(new Set(stats.map((s) => s.ino)).size).toBe(1)
      expect(stats.map((s) => s.nlink)).toEqual([3, 3, 3])
      const { stdout } = await run('stat', ['--cached=never', '-c', '%i', a, b, c])
      expect(new Set(stdout.trim().split('\n')).size).toBe(1)

      await appendFile(b, 'two')
      // Each name is its own inode to the kernel (libfuse's high-level API), so a change made
      // through one name reaches the others' cached size only once the attributes are refreshed.
      expect((await freshStat(a)).size).toBe(6)
      expect(await readFile(a, 'utf8')).toBe('onetwo')

      await unlink(a)
      await expectErrno(stat(a), 'ENOENT')
      expect((await freshStat(b)).nlink).toBe(2)
      await unlink(b)
      expect((await freshStat(c)).nlink).toBe(1)
      expect(await readFile(c, 'utf8')).toBe('onetwo')

      await mkdir(join(dir, 'sub'))
      await link(c, join(dir, 'sub', 'c'))
      expect((await freshStat(join(dir, 'sub', 'c'))).ino).toBe(stats[0]!.ino)
      await expectErrno(link(c, join(dir, 'sub', 'c')), 'EEXIST')
      await expectErrno(link(join(dir, 'sub'), join(dir, 'dirlink')), 'EPERM')
      await expectErrno(link(join(dir, 'missing'), join(dir, 'x')), 'ENOENT')
    })

    it('shows a same-size overwrite through one hard link when the other is read again', async () => {
      const dir = await suite.caseDir('hard link pages')
      const [a, b] = [join(dir, 'a'), join(dir, 'b')]
      await writeFile(a, 'aaaa')
      await link(a, b)
      expect(await readFile(b, 'utf8')).toBe('aaaa')
      // Same size, so no size change invalidates b's cached pages: only mtime can, and only once
      // the clock has moved on (a kernel filesystem's clock ticks every few ms, fuse-native's in ms).
      await new Promise((resolve) => setTimeout(resolve, 20))
      const handle = await open(a, 'r+')
      await handle.write('bbbb', 0)
      await handle.close()
      expect(await readFile(b, 'utf8')).toBe('bbbb')
    })
  } else {
    it('refuses hard links cleanly', async () => {
      const dir = await suite.caseDir('hard links refused')
      await writeFile(join(dir, 'a'), 'one')
      await expectOneOfErrnos(link(join(dir, 'a'), join(dir, 'b')), REFUSED)
      expect(await readdir(dir)).toEqual(['a'])
    })
  }

  if (suite.capabilities.symlinks) {
    it('symlinks: readlink, lstat against stat, relative and dangling targets', async () => {
      const dir = await suite.caseDir('symlinks')
      await writeFile(join(dir, 'target'), 'pointed at')
      await symlink('target', join(dir, 'link'))
      expect(await readlink(join(dir, 'link'))).toBe('target')
      const linkStat = await lstat(join(dir, 'link'))
      expect(linkStat.isSymbolicLink()).toBe(true)
      expect(linkStat.size).toBe('target'.length)
      const followed = await stat(join(dir, 'link'))
      expect(followed.isFile()).toBe(true)
      expect(followed.ino).toBe((await stat(join(dir, 'target'))).ino)
      expect(await readFile(join(dir, 'link'), 'utf8')).toBe('pointed at')

      await mkdir(join(dir, 'sub'))
      await run('ln', ['-s', '../target', join(dir, 'sub', 'up')])
      expect((await run('readlink', [join(dir, 'sub', 'up')])).stdout).toBe('../target\n')
      expect(await readFile(join(dir, 'sub', 'up'), 'utf8')).toBe('pointed at')
      expect((await run('ls', ['-l', join(dir, 'sub')])).stdout).toContain('up -> ../target')

      await symlink('does/not/exist', join(dir, 'dangling'))
      expect((await lstat(join(dir, 'dangling'))).isSymbolicLink()).toBe(true)
      await expectErrno(stat(join(dir, 'dangling')), 'ENOENT')
      expect(await readlink(join(dir, 'dangling'))).toBe('does/not/exist')

      const longTarget = Array.from({ length: 200 }, (_, i) => `part${i}`).join('/')
      await symlink(longTarget, join(dir, 'long'))
      expect(await readlink(join(dir, 'long'))).toBe(longTarget)

      await expectErrno(symlink('target', join(dir, 'link')), 'EEXIST')
      await expectErrno(readlink(join(dir, 'target')), 'EINVAL')
      await unlink(join(dir, 'link'))
      expect(await readFile(join(dir, 'target'), 'utf8')).toBe('pointed at')
      expect((await readdir(dir)).sort()).toEqual(['dangling', 'long', 'sub', 'target'])
    })
  } else {
    it('refuses symlinks cleanly', async () => {
      const dir = await suite.caseDir('symlinks refused')
      await expectOneOfErrnos(symlink('target', join(dir, 'link')), REFUSED)
      expect(await readdir(dir)).toEqual([])
    })
  }

  it('lists a directory of 10,000 entries and removes it with rm -rf', async () => {
    const dir = await suite.caseDir('ten thousand')
    const names = Array.from({ length: 10_000 }, (_, i) => {
      const base = `entry-${String(i).padStart(5, '0')}`
      if (i % 7 === 0) return `${base} with spaces`
      if (i % 11 === 0) return `${base}-é日本`
      return base
    })
    const scratch = await mkdtemp(join(tmpdir(), 'fusekit-posix-'))
    try {
      const list = join(scratch, 'names')
      await writeFile(list, names.join('\0'))
      await run('xargs', ['-0', '-a', list, 'touch', '--'], dir)
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }

    expect((await run('sh', ['-c', 'ls | wc -l'], dir)).stdout.trim()).toBe('10000')
    const listed = (await run('ls', [dir])).stdout.split('\n').slice(0, -1)
    const byBytes = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y))
    expect(listed).toEqual([...names].sort(byBytes))
    expect((await readdir(dir)).sort(byBytes)).toEqual([...names].sort(byBytes))

    await run('rm', ['-rf', dir])
    await expectErrno(stat(dir), 'ENOENT')
  })

  registerRenameCases(suite)
}
