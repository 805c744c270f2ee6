import { chmod, chown, link, mkdir, open, readdir, readFile, readlink, rename, rmdir, stat, symlink, truncate, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertSameBytes, errnoOf } from './assertions.js'
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './constants.js'
import { checkSampleTree, sampleEntries, sampleFile } from './sample-tree.js'
import { run, seededRandom } from './shell.js'
import type { PosixCase } from './types.js'

/**
 * Cases that only read: they run on every mount, over the sample tree (written into the case's
 * directory on a writable mount, shown at the root by a read-only backend).
 */
export const readingCases: PosixCase[] = [
  {
    name: 'the sample tree reads back: every name byte for byte, types, permission bits, sizes, contents, symlink targets and mtimes',
    async run(dir, { sample, capabilities, lstat }) {
      const root = await sample(dir)
      await checkSampleTree(root, capabilities)
      // getdents' d_type, which ls and find trust without a stat.
      for (const parent of ['', ...sampleEntries(capabilities).filter((e) => e.type === 'directory').map((e) => e.path)]) {
        for (const dirent of await readdir(join(root, parent), { withFileTypes: true })) {
          const type = (await lstat(join(root, parent, dirent.name))).mode & S_IFMT
          const direntType = dirent.isDirectory() ? S_IFDIR : dirent.isSymbolicLink() ? S_IFLNK : dirent.isFile() ? S_IFREG : 0
          assert.equal(direntType, type, `the type readdir gives ${join(parent, dirent.name)}`)
        }
      }
    },
  },
  {
    name: 'a hard link of the sample tree is the same file: one st_ino, nlink 2',
    needs: ['hardlinks'],
    async run(dir, { sample, stat }) {
      const root = await sample(dir)
      const [a, b] = [await stat(join(root, 'hello.txt')), await stat(join(root, 'links/hard-hello'))]
      assert.equal(b.ino, a.ino, 'st_ino of both names')
      assert.deepEqual([a.nlink, b.nlink], [2, 2], 'nlink of both names')
    },
  },
  {
    name: 'reads at any offset and length give the bytes there, from several descriptors at once; past the end nothing',
    async run(dir, { sample }) {
      const root = await sample(dir)
      const content = sampleFile('big.bin').content
      const random = seededRandom(512)
      const handles = await Promise.all([0, 1, 2, 3].map(() => open(join(root, 'big.bin'), 'r')))
      try {
        // Around the edges of tar blocks, pages and read requests, then anywhere.
        const edges = [0, 1, 511, 512, 513, 4095, 4096, 131_071, 131_072, content.length - 1, content.length]
        const reads = [...edges.map((offset) => [offset, 1000] as const), ...Array.from({ length: 200 }, () => [random(content.length), 1 + random(300_000)] as const)]
        await Promise.all(reads.map(async ([offset, length], i) => {
          const buffer = Buffer.alloc(length)
          const { bytesRead } = await handles[i % handles.length]!.read(buffer, 0, length, offset)
          assertSameBytes(buffer.subarray(0, bytesRead), content.subarray(offset, offset + length), `${length} bytes at ${offset}`)
        }))
        const past = await handles[0]!.read(Buffer.alloc(10), 0, 10, content.length + 4096)
        assert.equal(past.bytesRead, 0, 'bytes read past the end')
      } finally {
        await Promise.all(handles.map((handle) => handle.close()))
      }
    },
  },
  {
    name: 'a script of the sample tree runs',
    needs: ['execute'],
    async run(dir, { sample }) {
      const root = await sample(dir)
      assert.equal((await run(join(root, 'run.sh'), ['ok'])).stdout, 'sample script: ok\n', 'output of run.sh')
    },
  },
  {
    name: 'lookups and reads fail as POSIX says: ENOENT, ENOTDIR, EISDIR, EINVAL',
    async run(dir, { sample, capabilities }) {
      const root = await sample(dir)
      const at = (path: string) => join(root, path)
      assert.equal(await errnoOf(stat(at('no-such-name'))), 'ENOENT', 'stat of a missing name')
      assert.equal(await errnoOf(stat(at('dir/no/such/path'))), 'ENOENT', 'stat below a missing name')
      assert.equal(await errnoOf(stat(at('hello.txt/below-a-file'))), 'ENOTDIR', 'stat below a file')
      assert.equal(await errnoOf(readdir(at('hello.txt'))), 'ENOTDIR', 'readdir of a file')
      assert.equal(await errnoOf(readFile(at('dir'))), 'EISDIR', 'read of a directory')
      assert.equal(await errnoOf(readlink(at('hello.txt'))), 'EINVAL', 'readlink of a file')
      if (capabilities.has('symlinks')) {
        assert.deepEqual(await readdir(at('links/to-dir')), ['deeper'], 'a directory through a symlink')
        assert.equal(await readFile(at('links/relative'), 'utf8'), 'hello, world\n', 'a file through a relative symlink')
        assert.equal(await errnoOf(stat(at('links/dangling'))), 'ENOENT', 'following a dangling symlink')
      }
    },
  },
  {
    name: 'a read-only mount refuses every change with EROFS and nothing changes',
    unless: ['writable'],
    async run(dir, { sample, setxattr, users }) {
      const root = await sample(dir)
      const at = (path: string) => join(root, path)
      const before = (await readdir(root)).sort()
      const changes: Array<[string, () => Promise<unknown>]> = [
        ['creating a file', () => writeFile(at('new-file'), 'x')],
        ['opening a file for writing', () => open(at('hello.txt'), 'r+').then((handle) => handle.close())],
        ['truncate', () => truncate(at('hello.txt'), 1)],
        ['mkdir', () => mkdir(at('new-dir'))],
        ['rmdir', () => rmdir(at('dir/nested/deeper'))],
        ['unlink', () => unlink(at('hello.txt'))],
        ['rename', () => rename(at('hello.txt'), at('renamed'))],
        ['chmod', () => chmod(at('hello.txt'), 0o600)],
        ['chown', () => chown(at('hello.txt'), 1, 1)],
        ['utimes', () => utimes(at('hello.txt'), 1, 1)],
        ['symlink', () => symlink('hello.txt', at('new-link'))],
        ['link', () => link(at('hello.txt'), at('new-hard-link'))],
        ['setxattr', async () => {
          const answer = await setxattr(users.root, at('hello.txt'), 'user.x', 'y')
          if (answer !== 'ok') throw Object.assign(new Error(answer), { code: answer })
        }],
      ]
      for (const [what, change] of changes) assert.equal(await errnoOf(change()), 'EROFS', what)
      assert.deepEqual((await readdir(root)).sort(), before, 'names at the root afterwards')
      assert.equal(await readFile(at('hello.txt'), 'utf8'), 'hello, world\n', 'hello.txt afterwards')
    },
  },
  {
    name: 'answers statfs for df and stat -f',
    async run(dir, { mountDir }) {
      const [blocks, free, available, blockSize, nameMax] = (await run('stat', ['-f', '-c', '%b %f %a %S %l', dir])).stdout.trim().split(' ').map(Number) as [number, number, number, number, number]
      assert.ok(blocks > 0, `total blocks ${blocks}`)
      assert.ok(free <= blocks, `free blocks ${free} of ${blocks}`)
      assert.ok(available <= free, `available blocks ${available} of ${free} free`)
      assert.ok(blockSize > 0, `block size ${blockSize}`)
      assert.equal(nameMax, 255, 'longest name')

      const lines = (await run('df', ['-B1', '--output=size,used,avail,target', dir])).stdout.trim().split('\n')
      assert.equal(lines.length, 2, `df printed: ${lines.join(' / ')}`)
      const [size, used, avail, target] = lines[1]!.trim().split(/\s+/) as [string, string, string, string]
      assert.equal(target, mountDir, 'mount point shown by df')
      // Free space may change between the two calls (a backend over a busy disk): only the total is fixed.
      assert.equal(Number(size), blocks * blockSize, 'total size shown by df')
      assert.ok(Number(used) >= 0 && Number(used) + Number(avail) <= Number(size), `used ${used} and available ${avail} of ${size}`)
    },
  },
]
