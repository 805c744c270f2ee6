import { chown, link, lutimes, mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { assert, errnoOf } from './assertions.js'
import { run, seededRandom } from './shell.js'
import type { Capability, PosixCase } from './types.js'

const FILES = 3000

/**
 * A tree like a package cache on a local disk: thousands of files of mixed sizes and modes over
 * nested directories, with hard links, several owners, symlinks (some dangling) if the mount
 * takes them, and times in whole seconds (every mount keeps those).
 */
async function makeTree(root: string, capabilities: ReadonlySet<Capability>): Promise<void> {
  const random = seededRandom(42)
  const dirs = ['.']
  for (let i = 0; i < 60; i++) {
    const dir = join(dirs[random(dirs.length)]!, `dir-${i}`)
    await mkdir(join(root, dir))
    dirs.push(dir)
  }
  const files: string[] = []
  for (let i = 0; i < FILES; i++) {
    const path = join(root, dirs[random(dirs.length)]!, `file-${i}${['.js', '.json', '.md', ''][i % 4]}`)
    await writeFile(path, Buffer.alloc(random(12_000), `${i % 10}`), { mode: [0o644, 0o755, 0o600, 0o444][random(4)] })
    if (i % 13 === 0) await chown(path, 12_345, 23_456)
    await utimes(path, 1_500_000_000 + i, 1_500_000_000 + i * 7)
    files.push(path)
  }
  for (let i = 0; i < 100 && capabilities.has('symlinks'); i++) {
    const at = join(root, dirs[random(dirs.length)]!, `link-${i}`)
    await symlink(i % 10 === 0 ? 'no/such/target' : files[random(files.length)]!.slice(root.length + 1), at)
    await lutimes(at, 1_400_000_000 + i, 1_400_000_000 + i)
  }
  for (let i = 0; i < 50; i++) await link(files[i * 17]!, join(root, dirs[random(dirs.length)]!, `hard-${i}`))
  // Deepest first: setting a directory's times does not change its parent's.
  for (const [i, dir] of [...dirs].reverse().entries()) await utimes(join(root, dir), 1_300_000_000 + i, 1_300_000_000 + i)
}

/** A real tree copied in with cp and compared. */
export const treeCases: PosixCase[] = [
  {
    name: `copies a tree of ${FILES} files with cp -a, equal by diff -r`,
    async run(dir, { capabilities }) {
      const scratch = await mkdtemp(join(tmpdir(), 'fusekit-tree-'))
      try {
        const source = join(scratch, 'tree')
        await mkdir(source)
        await makeTree(source, capabilities)
        const copy = join(dir, basename(source))
        await run('cp', [...copyFlags(capabilities), source, dir])
        await run('diff', ['-r', '--no-dereference', source, copy])
        const [expected, actual] = await Promise.all([treeListing(source, capabilities), treeListing(copy, capabilities)])
        assert.equal(actual.entries.length, expected.entries.length, 'number of entries')
        assert.deepEqual(difference(expected.entries, actual.entries), [], 'entries not copied exactly (source side)')
        assert.deepEqual(difference(actual.entries, expected.entries), [], 'entries not copied exactly (copy side)')
        assert.deepEqual(actual.linkGroups, expected.linkGroups, 'hard-link groups')
      } finally {
        await rm(scratch, { recursive: true, force: true })
      }
      await run('rm', ['-rf', dir])
      assert.equal(await errnoOf(stat(dir)), 'ENOENT', 'stat after rm -rf')
    },
  },
]

function copyFlags(capabilities: ReadonlySet<Capability>): string[] {
  const has = (c: Capability) => capabilities.has(c)
  if (has('chown') && has('hardlinks') && has('xattrs') && has('symlinks')) return ['-a']
  const preserve = ['mode', 'timestamps']
  if (has('chown')) preserve.push('ownership')
  if (has('hardlinks')) preserve.push('links')
  if (has('xattrs')) preserve.push('xattr')
  // -P, not -d: -d also preserves links.
  return ['-PR', `--preserve=${preserve.join(',')}`]
}

/** Up to 20 entries of `a` missing from `b`: enough to see what went wrong without flooding the log. */
function difference(a: string[], b: string[]): string[] {
  const inB = new Set(b)
  return a.filter((entry) => !inB.has(entry)).slice(0, 20)
}

interface TreeListing {
  /** One line per entry: path, type, mode, owner, size, mtime to the millisecond, link target. */
  entries: string[]
  /** Paths that are hard links of one another, as sorted groups. */
  linkGroups: string[][]
}

async function treeListing(root: string, capabilities: ReadonlySet<Capability>): Promise<TreeListing> {
  const { stdout } = await run('find', [root, '-printf', '%P\\0%y\\0%m\\0%U:%G\\0%s\\0%T@\\0%i\\0%l\\0\\n'])
  const entries: string[] = []
  const byInode = new Map<string, string[]>()
  for (const line of stdout.split('\0\n').slice(0, -1)) {
    const [path, type, mode, owner, size, mtime, inode, target] = line.split('\0') as [string, string, string, string, string, string, string, string]
    // Compared to the millisecond (fuse-native's precision); directory sizes are each filesystem's own.
    const [seconds, fraction = ''] = mtime.split('.')
    const millis = `${seconds}.${fraction.padEnd(3, '0').slice(0, 3)}`
    entries.push([path, type, mode, capabilities.has('chown') ? owner : '', type === 'd' ? '' : size, millis, target].join(' | '))
    if (type === 'f') byInode.set(inode, [...(byInode.get(inode) ?? []), path])
  }
  const linkGroups = capabilities.has('hardlinks') ? [...byInode.values()].filter((group) => group.length > 1).map((group) => group.sort()) : []
  return { entries: entries.sort(), linkGroups: linkGroups.sort() }
}
