import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { writeSampleTree, type Capability } from '@fusekit/testkit'
import { e2e } from './e2e-context.js'

/** What the example backend shows of an archive: read-only, hard links as one inode, symlinks. */
export const ARCHIVE_CAPABILITIES: ReadonlySet<Capability> = new Set(['symlinks', 'hardlinks', 'coherentLinks'])

/**
 * The kit's sample tree (long names, hostile names, a 3 MiB file, symlinks, a hard link) packed
 * by GNU tar in pax format, for the example backend `archive` to show.
 */
export async function sampleArchive(): Promise<string> {
  const dir = mkdtempSync(join(e2e.work, 'archive-'))
  const tree = join(dir, 'tree')
  mkdirSync(tree)
  await writeSampleTree(tree)
  const archive = join(dir, 'sample.tar')
  execFileSync('tar', ['--format=pax', '--sort=name', '-C', tree, '-cf', archive, '.'])
  return archive
}
