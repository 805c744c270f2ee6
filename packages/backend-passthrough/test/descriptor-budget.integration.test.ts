import { execFile } from 'node:child_process'
import { link, mkdir, mkdtemp, readdir, rm, rmdir, stat, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { useMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sourceMountSetup } from './helpers.js'

const run = promisify(execFile)
const BUDGET = 64
/** Descriptors the mount process may hold besides the nodes' at rest: Node's own, /dev/fuse, open files being closed. */
const SLACK = 16
const DIRS = 50
const FILES = 100

/** Descriptors the process `pid` holds. */
async function descriptorsOf(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length
}

describe(`a passthrough mount with --node-descriptors ${BUDGET} (lowlevel driver)`, () => {
  const setup = sourceMountSetup(['--driver', 'lowlevel', '--node-descriptors', String(BUDGET)])
  const mounted = useMount(setup)
  let tree: string

  beforeAll(async () => {
    // 5,000 files in 50 directories, with a symlink and a hard link in each.
    tree = join(await mkdtemp(join(tmpdir(), 'fusekit-passthrough-tree-')), 'tree')
    for (let d = 0; d < DIRS; d++) {
      const dir = join(tree, `dir-${d}`)
      await mkdir(dir, { recursive: true })
      await Promise.all(Array.from({ length: FILES }, (_, f) => writeFile(join(dir, `file-${f}`), `${d}/${f}\n`.repeat(f))))
      await symlink('file-0', join(dir, 'link'))
      await link(join(dir, 'file-1'), join(dir, 'hard'))
    }
  })

  afterAll(async () => {
    if (tree) await rm(join(tree, '..'), { recursive: true, force: true })
  })

  it('copies in a tree of 5,000 files with cp -a, lists it with find -ls, compares it with diff -r and removes it with rm -rf, holding no more than the budget', async () => {
    const { dir, pid } = mounted()
    const atRest = await descriptorsOf(pid)
    const copy = join(dir, 'tree')
    await run('cp', ['-a', tree, copy])
    // The kernel holds a node for every entry it has cached: over 5,000, against a budget of 64.
    expect(await descriptorsOf(pid)).toBeLessThanOrEqual(atRest + BUDGET + SLACK)
    // Past the attribute timeout every stat reaches the backend, which reopens closed nodes by name.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const { stdout: listing } = await run('find', [copy, '-ls'], { maxBuffer: 64 * 1024 * 1024 })
    expect(listing.trim().split('\n')).toHaveLength(1 + DIRS * (1 + FILES + 2))
    expect(listing).toMatch(/dir-7\/link -> file-0\n/)
    await run('diff', ['-r', '--no-dereference', tree, copy])
    const inodes = (await run('stat', ['-c', '%i %h', join(copy, 'dir-3/file-1'), join(copy, 'dir-3/hard')])).stdout.trim().split('\n')
    expect(inodes[0]).toBe(inodes[1])
    expect(inodes[0]!.split(' ')[1]).toBe('2')
    expect(await descriptorsOf(pid)).toBeLessThanOrEqual(atRest + BUDGET + SLACK)
    await run('rm', ['-rf', copy])
    expect(await readdir(setup.source())).toEqual([])
  })

  it('removes a name in a directory whose descriptor the budget closed (its number reused since) there and nowhere else', async () => {
    const { dir } = mounted()
    const names = Array.from({ length: 2 * BUDGET }, (_, d) => `d-${d}`)
    for (const name of names) {
      await mkdir(join(setup.source(), name))
      await writeFile(join(setup.source(), name, 'x'), name)
    }
    // Each lookup opens a directory and its file: the first directories' descriptors close, their numbers go to later ones.
    for (const name of names) await stat(join(dir, name, 'x'))
    await unlink(join(dir, 'd-0', 'x'))
    await rmdir(join(dir, 'd-0'))
    expect((await readdir(setup.source())).sort()).toEqual(names.slice(1).sort())
    for (const name of names.slice(1)) expect(await readdir(join(setup.source(), name))).toEqual(['x'])
    await run('rm', ['-rf', ...names.slice(1).map((name) => join(dir, name))])
    expect(await readdir(setup.source())).toEqual([])
  })
})
