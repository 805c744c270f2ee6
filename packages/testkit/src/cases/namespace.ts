import { appendFile, link, lstat, mkdir, mkdtemp, open, opendir, readdir, readFile, readlink, rename, rm, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assert, assertErrnoIn, errnoOf } from './assertions.js'
import { REFUSED } from './metadata.js'
import { freshStat, run } from './shell.js'
import type { PosixCase } from './types.js'

const byBytes = (x: string, y: string) => Buffer.compare(Buffer.from(x), Buffer.from(y))

/** Makes empty files of these names in `dir`, by touch through xargs (one process per few thousand). */
async function touchAll(dir: string, names: readonly string[]): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'fusekit-posix-'))
  try {
    const list = join(scratch, 'names')
    await writeFile(list, names.join('\0'))
    await run('xargs', ['-0', '-a', list, 'touch', '--'], dir)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Names: directories, links, name length limits, big directories. */
export const namespaceCases: PosixCase[] = [
  {
    name: 'reports mkdir, rmdir and unlink errors with the right errno',
    async run(dir) {
      await mkdir(join(dir, 'd'))
      await writeFile(join(dir, 'f'), 'file')
      await writeFile(join(dir, 'd', 'inner'), 'x')

      const refusals: Array<[string, () => Promise<unknown>, string]> = [
        ['mkdir of an existing directory', () => mkdir(join(dir, 'd')), 'EEXIST'],
        ['mkdir of an existing file', () => mkdir(join(dir, 'f')), 'EEXIST'],
        ['mkdir in a missing directory', () => mkdir(join(dir, 'missing', 'd')), 'ENOENT'],
        ['mkdir under a file', () => mkdir(join(dir, 'f', 'd')), 'ENOTDIR'],
        ['rmdir of a non-empty directory', () => rmdir(join(dir, 'd')), 'ENOTEMPTY'],
        ['rmdir of a missing name', () => rmdir(join(dir, 'missing')), 'ENOENT'],
        ['rmdir of a file', () => rmdir(join(dir, 'f')), 'ENOTDIR'],
        ['unlink of a directory', () => unlink(join(dir, 'd')), 'EISDIR'],
        ['unlink of a missing name', () => unlink(join(dir, 'missing')), 'ENOENT'],
        ['creating a file in a missing directory', () => writeFile(join(dir, 'missing', 'f'), 'x'), 'ENOENT'],
        ['opening a directory for writing', () => writeFile(join(dir, 'd'), 'x'), 'EISDIR'],
      ]
      // One after the other: each answer must not depend on another's timing.
      for (const [what, operation, code] of refusals) assert.equal(await errnoOf(operation()), code, what)

      await run('mkdir', ['-p', join(dir, 'p', 'q', 'r')])
      assert.ok((await stat(join(dir, 'p', 'q', 'r'))).isDirectory(), 'mkdir -p made the whole path')
      await rmdir(join(dir, 'p', 'q', 'r'))
      assert.deepEqual(await readdir(join(dir, 'p', 'q')), [], 'after rmdir')
      await unlink(join(dir, 'd', 'inner'))
      await rmdir(join(dir, 'd'))
      assert.deepEqual((await readdir(dir)).sort(), ['f', 'p'], 'names at the end')
    },
  },
  {
    name: 'takes names of 255 bytes and refuses 256 with ENAMETOOLONG',
    async run(dir, { capabilities }) {
      const longest = 'n'.repeat(255)
      const longestMultibyte = 'é'.repeat(127) + 'a'
      for (const name of [longest, longestMultibyte]) {
        await writeFile(join(dir, name), name)
        assert.equal(await readFile(join(dir, name), 'utf8'), name, `content of a ${Buffer.byteLength(name)}-byte name`)
      }
      assert.deepEqual((await readdir(dir)).sort(), [longest, longestMultibyte].sort(), 'both names listed')
      await rename(join(dir, longest), join(dir, 'm'.repeat(255)))

      for (const tooLong of ['n'.repeat(256), 'é'.repeat(128)]) {
        const path = join(dir, tooLong)
        const what = `a ${Buffer.byteLength(tooLong)}-byte name`
        assert.equal(await errnoOf(writeFile(path, 'x')), 'ENAMETOOLONG', `creating ${what}`)
        assert.equal(await errnoOf(mkdir(path)), 'ENAMETOOLONG', `mkdir of ${what}`)
        assert.equal(await errnoOf(stat(path)), 'ENAMETOOLONG', `stat of ${what}`)
        assert.equal(await errnoOf(rename(join(dir, longestMultibyte), path)), 'ENAMETOOLONG', `rename to ${what}`)
        if (capabilities.has('symlinks')) assert.equal(await errnoOf(symlink('target', path)), 'ENAMETOOLONG', `symlink named ${what}`)
        if (capabilities.has('hardlinks')) assert.equal(await errnoOf(link(join(dir, longestMultibyte), path)), 'ENAMETOOLONG', `link named ${what}`)
      }
      assert.deepEqual((await readdir(dir)).sort(), ['m'.repeat(255), longestMultibyte].sort(), 'names at the end')
    },
  },
  {
    name: 'hard links share one inode, its content and a link count',
    needs: ['hardlinks'],
    async run(dir) {
      const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name)) as [string, string, string]
      await writeFile(a, 'one')
      await link(a, b)
      await run('ln', [a, c])
      const stats = await Promise.all([a, b, c].map(freshStat))
      assert.equal(new Set(stats.map((s) => s.ino)).size, 1, 'one st_ino for the three names')
      assert.deepEqual(stats.map((s) => s.nlink), [3, 3, 3], 'nlink of each name')

      await appendFile(b, 'two')
      // Without coherentLinks each name is its own kernel inode, so a change made through one
      // name reaches the others' cached size only once the attributes are asked for afresh.
      assert.equal((await freshStat(a)).size, 6, 'size through a after an append through b')
      assert.equal(await readFile(a, 'utf8'), 'onetwo', 'bytes through a')

      await unlink(a)
      assert.equal(await errnoOf(stat(a)), 'ENOENT', 'the unlinked name')
      assert.equal((await freshStat(b)).nlink, 2, 'nlink after unlinking a')
      await unlink(b)
      assert.equal((await freshStat(c)).nlink, 1, 'nlink after unlinking b')
      assert.equal(await readFile(c, 'utf8'), 'onetwo', 'bytes through the last name')

      await mkdir(join(dir, 'sub'))
      await link(c, join(dir, 'sub', 'c'))
      assert.equal((await freshStat(join(dir, 'sub', 'c'))).ino, stats[0]!.ino, 'st_ino of a link in another directory')
      assert.equal(await errnoOf(link(c, join(dir, 'sub', 'c'))), 'EEXIST', 'link onto an existing name')
      assert.equal(await errnoOf(link(join(dir, 'sub'), join(dir, 'dirlink'))), 'EPERM', 'link to a directory')
      assert.equal(await errnoOf(link(join(dir, 'missing'), join(dir, 'x'))), 'ENOENT', 'link to a missing name')
    },
  },
  {
    name: 'shows a same-size overwrite through one hard link when the other is read again',
    needs: ['hardlinks'],
    async run(dir, { tick }) {
      const [a, b] = [join(dir, 'a'), join(dir, 'b')]
      await writeFile(a, 'aaaa')
      await link(a, b)
      assert.equal(await readFile(b, 'utf8'), 'aaaa', 'b before')
      // Same size, so no size change invalidates b's cached pages: only mtime can, and only once
      // the clock has moved on (a kernel filesystem's clock ticks every few ms, fuse-native's in ms).
      await tick()
      const handle = await open(a, 'r+')
      await handle.write('bbbb', 0)
      await handle.close()
      assert.equal(await readFile(b, 'utf8'), 'bbbb', 'b after overwriting a')
    },
  },
  {
    name: 'refuses hard links cleanly',
    unless: ['hardlinks'],
    async run(dir) {
      await writeFile(join(dir, 'a'), 'one')
      await assertErrnoIn(link(join(dir, 'a'), join(dir, 'b')), REFUSED, 'link')
      assert.deepEqual(await readdir(dir), ['a'], 'names after the refusal')
    },
  },
  {
    name: 'symlinks: readlink, lstat against stat, relative and dangling targets',
    needs: ['symlinks'],
    async run(dir) {
      await writeFile(join(dir, 'target'), 'pointed at')
      await symlink('target', join(dir, 'link'))
      assert.equal(await readlink(join(dir, 'link')), 'target', 'readlink')
      const linkStat = await lstat(join(dir, 'link'))
      assert.ok(linkStat.isSymbolicLink(), 'lstat shows a symlink')
      assert.equal(linkStat.size, 'target'.length, 'size of the symlink')
      const followed = await stat(join(dir, 'link'))
      assert.ok(followed.isFile(), 'stat follows it to a file')
      assert.equal(followed.ino, (await stat(join(dir, 'target'))).ino, 'st_ino through the link')
      assert.equal(await readFile(join(dir, 'link'), 'utf8'), 'pointed at', 'bytes through the link')

      await mkdir(join(dir, 'sub'))
      await run('ln', ['-s', '../target', join(dir, 'sub', 'up')])
      assert.equal((await run('readlink', [join(dir, 'sub', 'up')])).stdout, '../target\n', 'readlink(1) of a relative link')
      assert.equal(await readFile(join(dir, 'sub', 'up'), 'utf8'), 'pointed at', 'bytes through ../target')
      assert.ok((await run('ls', ['-l', join(dir, 'sub')])).stdout.includes('up -> ../target'), 'ls -l shows the target')

      await symlink('does/not/exist', join(dir, 'dangling'))
      assert.ok((await lstat(join(dir, 'dangling'))).isSymbolicLink(), 'a dangling link is there')
      assert.equal(await errnoOf(stat(join(dir, 'dangling'))), 'ENOENT', 'following a dangling link')
      assert.equal(await readlink(join(dir, 'dangling')), 'does/not/exist', 'readlink of a dangling link')

      const longTarget = Array.from({ length: 200 }, (_, i) => `part${i}`).join('/')
      await symlink(longTarget, join(dir, 'long'))
      assert.equal(await readlink(join(dir, 'long')), longTarget, 'a target of 1,289 bytes')

      assert.equal(await errnoOf(symlink('target', join(dir, 'link'))), 'EEXIST', 'symlink onto an existing name')
      assert.equal(await errnoOf(readlink(join(dir, 'target'))), 'EINVAL', 'readlink of a file')
      await unlink(join(dir, 'link'))
      assert.equal(await readFile(join(dir, 'target'), 'utf8'), 'pointed at', 'the target after unlinking the link')
      assert.deepEqual((await readdir(dir)).sort(), ['dangling', 'long', 'sub', 'target'], 'names at the end')
    },
  },
  {
    name: 'refuses symlinks cleanly',
    unless: ['symlinks'],
    async run(dir) {
      await assertErrnoIn(symlink('target', join(dir, 'link')), REFUSED, 'symlink')
      assert.deepEqual(await readdir(dir), [], 'names after the refusal')
    },
  },
  {
    name: 'lists a directory of 10,000 entries and removes it with rm -rf',
    async run(dir) {
      const names = Array.from({ length: 10_000 }, (_, i) => {
        const base = `entry-${String(i).padStart(5, '0')}`
        if (i % 7 === 0) return `${base} with spaces`
        if (i % 11 === 0) return `${base}-é日本`
        return base
      })
      await touchAll(dir, names)

      assert.equal((await run('sh', ['-c', 'ls | wc -l'], dir)).stdout.trim(), '10000', 'ls | wc -l')
      const listed = (await run('ls', [dir])).stdout.split('\n').slice(0, -1)
      assert.deepEqual(listed, [...names].sort(byBytes), 'names listed by ls')
      assert.deepEqual((await readdir(dir)).sort(byBytes), [...names].sort(byBytes), 'names listed by readdir')

      // Some removed, some renamed, some added: every listing after shows exactly the names left.
      const removed = names.filter((_, i) => i % 50 === 0)
      const renamed = names.filter((_, i) => i % 1000 === 1)
      await writeFile(join(dir, 'added'), '')
      await run('sh', ['-c', 'printf "%s\\0" "$@" | xargs -0 rm --', 'sh', ...removed], dir)
      for (const name of renamed) await rename(join(dir, name), join(dir, `${name}-moved`))
      await writeFile(join(dir, 'added last'), '')
      const gone = new Set([...removed, ...renamed])
      const left = [
        ...names.filter((name) => !gone.has(name)),
        ...renamed.map((name) => `${name}-moved`),
        'added',
        'added last',
      ].sort(byBytes)
      for (const reader of ['readdir', 'readdir again', 'ls']) {
        const listedNow = reader === 'ls' ? (await run('ls', [dir])).stdout.split('\n').slice(0, -1) : (await readdir(dir)).sort(byBytes)
        assert.deepEqual(listedNow, left, `names listed by ${reader} after removals and renames`)
      }

      await run('rm', ['-rf', dir])
      assert.equal(await errnoOf(stat(dir)), 'ENOENT', 'stat after rm -rf')
    },
  },
  {
    name: 'lists every name left exactly once when names are removed and made while a listing is read in pieces',
    async run(dir) {
      const names = Array.from({ length: 2000 }, (_, i) => `entry-${String(i).padStart(4, '0')}`)
      await touchAll(dir, names)
      const made = Array.from({ length: 50 }, (_, i) => `made-${i}`)
      const listed = new Map<string, number>()
      const reader = await opendir(dir, { bufferSize: 1 })
      try {
        // A hundred names from the listing's first piece (readdir(3) reads 32 KiB at a time), the rest after the changes.
        for (let i = 0; i < 100; i++) {
          const entry = await reader.read()
          assert.ok(entry, `entry ${i} of the listing`)
          listed.set(entry.name, (listed.get(entry.name) ?? 0) + 1)
        }
        for (const name of [...listed.keys()].slice(0, 50)) await unlink(join(dir, name))
        for (const name of made) await writeFile(join(dir, name), '')
        for (let entry = await reader.read(); entry; entry = await reader.read()) listed.set(entry.name, (listed.get(entry.name) ?? 0) + 1)
      } finally {
        await reader.close()
      }
      const notOnce = names.filter((name) => listed.get(name) !== 1)
      assert.deepEqual(notOnce, [], 'names there from the start listed other than once')
      assert.deepEqual(made.filter((name) => (listed.get(name) ?? 0) > 1), [], 'names made during the listing listed twice')
    },
  },
]
