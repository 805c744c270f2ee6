import { CallerContext, FileType, OpenFlags, ROOT_INO, orThrow, type InodeDirEntry, type InodeOperations } from '@fusekit/core'
import assert from 'node:assert/strict'
import { assertMode, hostileNames } from '../cases/index.js'
import type { ContractCase } from './types.js'

const { S_IFMT, S_IFREG, S_IFDIR } = FileType

/**
 * Runs `use` on the node of a path, found by lookups from the root and held, as the kernel holds
 * a dentry's parents, until `use` is done; then every lookup is forgotten.
 */
async function onNode<T>(inodes: InodeOperations, ctx: CallerContext, path: string, use: (ino: number) => Promise<T>): Promise<T> {
  const held: number[] = []
  try {
    let ino = ROOT_INO
    for (const name of path.split('/').filter(Boolean)) {
      ino = orThrow(await inodes.lookup(ctx, ino, name)).ino
      held.push(ino)
    }
    return await use(ino)
  } finally {
    for (const ino of held.reverse()) inodes.forget?.(ino, 1)
  }
}

/** Every entry of a listing from `offset`, with stats or not (opendir, readdir, releasedir). */
async function listFrom(inodes: InodeOperations, ctx: CallerContext, ino: number, offset: number, withStats: boolean): Promise<InodeDirEntry[]> {
  const fh = (await inodes.opendir?.(ctx, ino, OpenFlags.O_RDONLY)) ?? 0
  try {
    if (!inodes.readdir) throw new Error('the backend has no readdir')
    return [...(await inodes.readdir(ctx, ino, fh, offset, withStats))]
  } finally {
    await inodes.releasedir?.(ctx, ino, fh)
  }
}

/** Directories and names: mkdir, rmdir, unlink, listings, name lengths, hostile names. */
export const directoryCases: ContractCase[] = [
  {
    name: 'mkdir makes an empty directory; mkdir, rmdir and unlink refuse with EEXIST, ENOTEMPTY, ENOTDIR and ENOENT',
    async run(dir, { fs }) {
      await fs.mkdir(`${dir}/d`, 0o750)
      assertMode((await fs.getattr(`${dir}/d`)).mode, S_IFDIR | 0o750, 'the new directory')
      assert.deepEqual(await fs.list(`${dir}/d`), [], 'a new directory lists nothing but . and ..')
      await fs.writeFile(`${dir}/d/inner`, 'x')
      await fs.writeFile(`${dir}/file`, 'x')
      const refusals: Array<[string, () => Promise<unknown>, string]> = [
        ['mkdir of an existing directory', () => fs.mkdir(`${dir}/d`), 'EEXIST'],
        ['mkdir of an existing file', () => fs.mkdir(`${dir}/file`), 'EEXIST'],
        ['mkdir in a missing directory', () => fs.mkdir(`${dir}/missing/d`), 'ENOENT'],
        ['rmdir of a directory with an entry', () => fs.rmdir(`${dir}/d`), 'ENOTEMPTY'],
        ['rmdir of a file', () => fs.rmdir(`${dir}/file`), 'ENOTDIR'],
        ['rmdir of a missing name', () => fs.rmdir(`${dir}/missing`), 'ENOENT'],
        ['unlink of a missing name', () => fs.unlink(`${dir}/missing`), 'ENOENT'],
        ['getattr of a missing name', () => fs.getattr(`${dir}/missing`), 'ENOENT'],
      ]
      for (const [what, operation, code] of refusals) assert.equal(await fs.errno(operation()), code, what)
      await fs.unlink(`${dir}/d/inner`)
      assert.equal(await fs.errno(fs.getattr(`${dir}/d/inner`)), 'ENOENT', 'an unlinked name')
      await fs.rmdir(`${dir}/d`)
      assert.deepEqual(await fs.list(dir), ['file'], 'names at the end')
    },
  },
  {
    name: 'readdir lists every name once, with the inode number and type getattr gives',
    async run(dir, { fs }) {
      const files = Array.from({ length: 60 }, (_, i) => `file-${i}`)
      const dirs = ['one', 'two', 'three']
      for (const name of files) await fs.writeFile(`${dir}/${name}`, name)
      for (const name of dirs) await fs.mkdir(`${dir}/${name}`)
      const entries = await fs.readdir(dir)
      assert.deepEqual(entries.map((e) => e.name).sort(), [...files, ...dirs].sort(), 'names listed')
      for (const entry of entries) {
        const attr = await fs.getattr(`${dir}/${entry.name}`)
        const ino = entry.stat?.ino ?? entry.ino
        const type = entry.stat ? entry.stat.mode & S_IFMT : entry.type
        // d_ino and d_type are what ls and find trust without a stat: when given, they must be right.
        if (ino) assert.equal(ino, attr.ino, `d_ino of ${entry.name}`)
        if (type) assert.equal(type, attr.mode & S_IFMT, `d_type of ${entry.name}`)
      }
    },
  },
  {
    name: 'readdir continues from any offset it handed out, and entries with stats are what lookup answers',
    async run(dir, { fs, inodes }) {
      for (let i = 0; i < 20; i++) await fs.writeFile(`${dir}/entry-${i}`, String(i))
      await fs.mkdir(`${dir}/sub`)
      const ctx = new CallerContext(process.getuid?.() ?? 0, process.getgid?.() ?? 0, process.pid)
      await onNode(inodes, ctx, dir, async (ino) => {
        const all = (await listFrom(inodes, ctx, ino, 0, false)).map((e) => e.name)
        for (const offset of [1, 2, 5, all.length - 1, all.length]) {
          assert.deepEqual((await listFrom(inodes, ctx, ino, offset, false)).map((e) => e.name), all.slice(offset), `the listing from offset ${offset}`)
        }
        const withStats = await listFrom(inodes, ctx, ino, 0, true)
        assert.deepEqual(withStats.map((e) => e.name), all, 'the listing with stats names the same entries')
        for (const entry of withStats) {
          if (!entry.entry) continue
          const looked = orThrow(await inodes.lookup(ctx, ino, entry.name))
          assert.equal(entry.entry.ino, looked.ino, `node of ${entry.name} in the listing and from lookup`)
          assert.deepEqual([entry.entry.attr.ino, entry.entry.attr.mode, entry.entry.attr.size], [looked.attr.ino, looked.attr.mode, looked.attr.size], `attributes of ${entry.name}`)
          // Each Entry handed out counts one lookup.
          inodes.forget?.(looked.ino, 1)
          inodes.forget?.(entry.entry.ino, 1)
        }
      })
    },
  },
  {
    name: 'names of 255 bytes work and 256 bytes are ENAMETOOLONG',
    async run(dir, { fs }) {
      const longest = 'é'.repeat(127) + 'a'
      await fs.writeFile(`${dir}/${longest}`, 'x')
      await fs.mkdir(`${dir}/${'d'.repeat(255)}`)
      assert.deepEqual(await fs.list(dir), [longest, 'd'.repeat(255)].sort(), 'both listed')
      for (const tooLong of ['n'.repeat(256), 'é'.repeat(128)]) {
        const what = `a ${Buffer.byteLength(tooLong)}-byte name`
        assert.equal(await fs.errno(fs.getattr(`${dir}/${tooLong}`)), 'ENAMETOOLONG', `lookup of ${what}`)
        assert.equal(await fs.errno(fs.writeFile(`${dir}/${tooLong}`, 'x')), 'ENAMETOOLONG', `create of ${what}`)
        assert.equal(await fs.errno(fs.mkdir(`${dir}/${tooLong}`)), 'ENAMETOOLONG', `mkdir of ${what}`)
        assert.equal(await fs.errno(fs.rename(`${dir}/${longest}`, `${dir}/${tooLong}`)), 'ENAMETOOLONG', `rename to ${what}`)
      }
      assert.deepEqual(await fs.list(dir), [longest, 'd'.repeat(255)].sort(), 'names at the end')
    },
  },
  {
    name: 'hostile names (spaces, newlines, quotes, NFC and NFD, option-like, dots) are created, listed exactly, renamed and removed',
    async run(dir, { fs }) {
      const names = hostileNames.flatMap((group) => group.names)
      await fs.mkdir(`${dir}/moved`)
      for (const name of names) await fs.writeFile(`${dir}/${name}`, name)
      assert.deepEqual(await fs.list(dir), [...names, 'moved'].sort(), 'names listed')
      for (const name of names) {
        const attr = await fs.getattr(`${dir}/${name}`)
        assertMode(attr.mode & S_IFMT, S_IFREG, `type of ${JSON.stringify(name)}`)
        assert.equal(attr.size, Buffer.byteLength(name), `size of ${JSON.stringify(name)}`)
        await fs.rename(`${dir}/${name}`, `${dir}/moved/${name}`)
      }
      assert.deepEqual(await fs.list(`${dir}/moved`), [...names].sort(), 'names after the renames')
      for (const name of names) {
        assert.equal((await fs.readFile(`${dir}/moved/${name}`)).toString(), name, `content of ${JSON.stringify(name)}`)
        await fs.unlink(`${dir}/moved/${name}`)
      }
      assert.deepEqual(await fs.list(`${dir}/moved`), [], 'names at the end')
    },
  },
]
