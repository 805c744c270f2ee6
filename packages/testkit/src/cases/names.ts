import { mkdir, readdir, readFile, rename, rmdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert } from './assertions.js'
import { hostileNames } from './hostile-names.js'
import { run } from './shell.js'
import type { PosixCase } from './types.js'

const byBytes = (a: Buffer, b: Buffer) => Buffer.compare(a, b)

/** The names in `dir` exactly as the kernel returns them, as bytes, sorted. */
async function listedBytes(dir: string): Promise<Buffer[]> {
  return (await readdir(dir, { encoding: 'buffer' })).sort(byBytes)
}

/** What find(1) lists in `dir`, split on NUL: another reader, byte for byte. */
async function foundBytes(dir: string): Promise<Buffer[]> {
  const { stdout } = await run('find', [dir, '-mindepth', '1', '-maxdepth', '1', '-printf', '%f\\0'])
  return stdout.split('\0').slice(0, -1).map((name) => Buffer.from(name)).sort(byBytes)
}

/**
 * Names with spaces, newlines, quotes, unicode, 255 bytes, option-like dashes and only dots: each
 * created as a file and as a directory, listed byte for byte, stat'ed, renamed and removed.
 */
export const nameCases: PosixCase[] = hostileNames.map(({ what, names }) => ({
  name: `names with ${what} are created, listed byte for byte, stat'ed, renamed and removed`,
  async run(dir, { lstat }) {
    const files = join(dir, 'files')
    const dirs = join(dir, 'dirs')
    const moved = join(dir, 'moved')
    for (const parent of [files, dirs, moved]) await mkdir(parent)
    const expected = names.map((name) => Buffer.from(name)).sort(byBytes)

    for (const name of names) {
      await writeFile(join(files, name), name, { flag: 'wx' })
      await mkdir(join(dirs, name))
    }
    assert.deepEqual(await listedBytes(files), expected, 'files listed by readdir')
    assert.deepEqual(await foundBytes(files), expected, 'files listed by find')
    assert.deepEqual(await listedBytes(dirs), expected, 'directories listed by readdir')
    for (const name of names) {
      const stat = await lstat(join(files, name))
      assert.equal(stat.mode & 0o170000, 0o100000, `${JSON.stringify(name)} is a regular file`)
      assert.equal(stat.size, Buffer.byteLength(name), `size of ${JSON.stringify(name)}`)
      assert.equal(await readFile(join(files, name), 'utf8'), name, `content of ${JSON.stringify(name)}`)
      assert.equal((await lstat(join(dirs, name))).mode & 0o170000, 0o040000, `${JSON.stringify(name)} is a directory`)
    }

    for (const name of names) await rename(join(files, name), join(moved, name))
    assert.deepEqual(await listedBytes(files), [], 'files left after renaming them all away')
    assert.deepEqual(await listedBytes(moved), expected, 'renamed files listed by readdir')
    for (const name of names) assert.equal(await readFile(join(moved, name), 'utf8'), name, `content of ${JSON.stringify(name)} after the rename`)

    for (const name of names) {
      await unlink(join(moved, name))
      await rmdir(join(dirs, name))
    }
    assert.deepEqual([await listedBytes(moved), await listedBytes(dirs)], [[], []], 'nothing left after unlink and rmdir')
  },
}))
