import { execFileSync } from 'node:child_process'
import { chown, link, mkdir, open, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileType } from '@fusekit/core'
import { afterAll, describe, expect, it } from 'vitest'
import { readArchiveTree, type ArchiveNode } from '../src/archive-tree.js'
import { handMadeArchive, removeScratch, scratchDir, tarOf } from './archives.js'

afterAll(removeScratch)

async function treeOf(archive: string) {
  const file = await open(archive, 'r')
  try {
    return await readArchiveTree(file)
  } finally {
    await file.close()
  }
}

const at = (root: ArchiveNode, path: string) => path.split('/').reduce<ArchiveNode | undefined>((node, name) => node?.children?.get(name), root)

/** A small tree GNU tar can write in every format: a long path and link target need pax or GNU headers. */
async function smallTree(): Promise<string> {
  const dir = join(await scratchDir(), 'tree')
  await mkdir(join(dir, 'sub'), { recursive: true })
  await writeFile(join(dir, 'sub', 'file.txt'), 'twelve bytes')
  await chown(join(dir, 'sub', 'file.txt'), 1234, 5678)
  await utimes(join(dir, 'sub', 'file.txt'), 1_500_000_000, 1_500_000_000)
  await link(join(dir, 'sub', 'file.txt'), join(dir, 'hard'))
  await symlink('sub/file.txt', join(dir, 'link'))
  return dir
}

describe('reading an archive\'s tree', () => {
  it.each(['ustar', 'pax', 'gnu'] as const)('%s: files, directories, symlinks, a hard link as one node, modes, owners, times, data offsets', async (format) => {
    const dir = await smallTree()
    const archive = tarOf(dir, join(dir, '..', `small.${format}.tar`), format)
    const { root, skipped } = await treeOf(archive)
    expect(skipped).toEqual([])
    expect([...root.children!.keys()].sort()).toEqual(['hard', 'link', 'sub'])
    const file = at(root, 'sub/file.txt')!
    expect(file.attr).toMatchObject({ mode: FileType.S_IFREG | 0o644, uid: 1234, gid: 5678, size: 12, nlink: 2, mtime: { sec: 1_500_000_000, nsec: 0 } })
    expect(at(root, 'hard')).toBe(file)
    expect(at(root, 'link')).toMatchObject({ target: 'sub/file.txt', attr: { mode: FileType.S_IFLNK | 0o777, size: 12 } })
    expect(at(root, 'sub')!.attr.mode & FileType.S_IFMT).toBe(FileType.S_IFDIR)
    expect(root.attr.nlink).toBe(3)
    const bytes = Buffer.alloc(12)
    const handle = await open(archive, 'r')
    await handle.read(bytes, 0, 12, file.dataOffset)
    await handle.close()
    expect(bytes.toString()).toBe('twelve bytes')
  })

  it.each(['pax', 'gnu'] as const)('%s: names and link targets past 100 bytes, uids past 2^21, nanosecond times (pax)', async (format) => {
    const dir = join(await scratchDir(), 'tree')
    const deep = join(dir, 'd'.repeat(90), 'e'.repeat(90))
    await mkdir(deep, { recursive: true })
    await writeFile(join(deep, 'f'.repeat(200)), 'deep')
    await chown(join(deep, 'f'.repeat(200)), 3_000_000, 3_000_001)
    await symlink('t'.repeat(300), join(dir, 'long-link'))
    const archive = tarOf(dir, join(dir, '..', `long.${format}.tar`), format)
    const { root } = await treeOf(archive)
    const file = at(root, `${'d'.repeat(90)}/${'e'.repeat(90)}/${'f'.repeat(200)}`)!
    expect(file.attr).toMatchObject({ size: 4, uid: 3_000_000, gid: 3_000_001 })
    expect(at(root, 'long-link')!.target).toBe('t'.repeat(300))
    if (format === 'pax') {
      execFileSync('touch', ['-h', '-d', '2021-03-04 05:06:07.123456789', join(dir, 'long-link')])
      const precise = tarOf(dir, join(dir, '..', 'precise.tar'), 'pax')
      expect(at((await treeOf(precise)).root, 'long-link')!.attr.mtime).toEqual({ sec: 1_614_834_367, nsec: 123_456_789 })
    }
  })

  it('makes the directories a member implies, lets a later member replace an earlier one, and leaves out what it cannot show', async () => {
    const archive = await handMadeArchive([
      { header: { name: 'implied/deeper/file' }, data: 'first' },
      { header: { name: 'implied/deeper/file' }, data: 'second!' },
      { header: { name: '../escape' }, data: 'x' },
      { header: { name: 'fifo', type: '6' } },
      { header: { name: 'dangling-hard', type: '1', linkname: 'nowhere' } },
      { header: { name: 'implied/deeper/file/below-a-file' }, data: 'x' },
    ])
    const { root, skipped } = await treeOf(archive)
    expect(at(root, 'implied')!.attr).toMatchObject({ mode: FileType.S_IFDIR | 0o755, nlink: 3 })
    expect(at(root, 'implied/deeper/file')!.attr.size).toBe(7)
    expect([...root.children!.keys()]).toEqual(['implied'])
    expect(skipped).toEqual([
      '../escape: it leaves the archive\'s root (..)',
      'fifo: members of type \'6\' (devices, fifos, sparse files) are not shown',
      'dangling-hard: a hard link to nowhere, which comes nowhere before it',
      'implied/deeper/file/below-a-file: a member above it is not a directory',
    ])
  })

  it('refuses what is not an uncompressed tar archive, saying why', async () => {
    const dir = await scratchDir()
    await writeFile(join(dir, 'plain.txt'), 'not an archive at all, but long enough to fill a header block'.repeat(20))
    await expect(treeOf(join(dir, 'plain.txt'))).rejects.toThrow('not a tar archive, or damaged: the header at byte 0 fails its checksum')
    const tree = await smallTree()
    execFileSync('tar', ['-czf', join(dir, 'packed.tar.gz'), '-C', tree, '.'])
    await expect(treeOf(join(dir, 'packed.tar.gz'))).rejects.toThrow('the archive is gzip-compressed: members are read in place, so give the uncompressed .tar')
    const whole = await handMadeArchive([{ header: { name: 'big', size: 4096 } }])
    const truncated = join(dir, 'truncated.tar')
    await writeFile(truncated, execFileSync('head', ['-c', '700', whole]))
    await expect(treeOf(truncated)).rejects.toThrow('the archive ends inside big: 4096 bytes from byte 512, the archive has 700')
  })
})
