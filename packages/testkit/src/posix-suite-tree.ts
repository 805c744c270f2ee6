import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { expect, it } from 'vitest'
import type { PosixCapabilities, PosixSuiteContext } from './posix-suite.js'
import { expectErrno, run, workspaceRoot } from './posix-suite-tools.js'

/** A real tree (the workspace's installed packages) copied in with cp -a and compared. */
export function registerTreeCases(suite: PosixSuiteContext): void {
  it('copies a tree of several thousand real files with cp -a, equal by diff -r', async () => {
    const source = join(workspaceRoot(), 'node_modules', '.pnpm')
    const files = Number((await run('sh', ['-c', 'find . -type f | wc -l'], source)).stdout.trim())
    expect(files, `${source} should hold several thousand files: run pnpm install`).toBeGreaterThan(3000)

    const dir = await suite.caseDir('cp tree')
    const copy = join(dir, basename(source))
    await run('cp', [...copyFlags(suite.capabilities), source, dir])
    await run('diff', ['-r', '--no-dereference', source, copy])
    const [expected, actual] = await Promise.all([treeListing(source, suite.capabilities), treeListing(copy, suite.capabilities)])
    expect(actual.entries.length).toBe(expected.entries.length)
    expect(difference(expected.entries, actual.entries), 'entries not copied exactly (source side)').toEqual([])
    expect(difference(actual.entries, expected.entries), 'entries not copied exactly (copy side)').toEqual([])
    expect(actual.linkGroups).toEqual(expected.linkGroups)

    await run('rm', ['-rf', dir])
    await expectErrno(stat(dir), 'ENOENT')
  })
}

function copyFlags(capabilities: PosixCapabilities): string[] {
  if (capabilities.chown && capabilities.hardlinks && capabilities.xattr) return ['-a']
  const preserve = ['mode', 'timestamps']
  if (capabilities.chown) preserve.push('ownership')
  if (capabilities.hardlinks) preserve.push('links')
  if (capabilities.xattr) preserve.push('xattr')
  return ['-dR', `--preserve=${preserve.join(',')}`]
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

async function treeListing(root: string, capabilities: PosixCapabilities): Promise<TreeListing> {
  const { stdout } = await run('find', [root, '-printf', '%P\\0%y\\0%m\\0%U:%G\\0%s\\0%T@\\0%i\\0%l\\0\\n'])
  const entries: string[] = []
  const byInode = new Map<string, string[]>()
  for (const line of stdout.split('\0\n').slice(0, -1)) {
    const [path, type, mode, owner, size, mtime, inode, target] = line.split('\0') as [string, string, string, string, string, string, string, string]
    // Timestamps cross the FUSE binding in milliseconds; directory sizes are each filesystem's own.
    const [seconds, fraction = ''] = mtime.split('.')
    const millis = `${seconds}.${fraction.padEnd(3, '0').slice(0, 3)}`
    entries.push([path, type, mode, capabilities.chown ? owner : '', type === 'd' ? '' : size, millis, target].join(' | '))
    if (type === 'f') byInode.set(inode, [...(byInode.get(inode) ?? []), path])
  }
  const linkGroups = capabilities.hardlinks ? [...byInode.values()].filter((group) => group.length > 1).map((group) => group.sort()) : []
  return { entries: entries.sort(), linkGroups: linkGroups.sort() }
}
