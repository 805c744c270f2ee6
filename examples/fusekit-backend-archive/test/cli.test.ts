import { execFileSync } from 'node:child_process'
import { mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCli, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeScratch, scratchDir, tarOf } from './archives.js'

// As a user runs it: `fusekit mount archive <dir> --file x.tar`, the package found by name in a
// project's node_modules.
const packageDir = dirname(dirname(fileURLToPath(import.meta.url)))
let project = ''
let archive = ''

beforeAll(async () => {
  project = await scratchDir()
  await mkdir(join(project, 'node_modules'))
  await symlink(packageDir, join(project, 'node_modules', 'fusekit-backend-archive'))
  const tree = join(project, 'tree')
  await mkdir(join(tree, 'docs'), { recursive: true })
  await writeFile(join(tree, 'docs', 'readme.md'), '# from the archive\n')
  await symlink('docs/readme.md', join(tree, 'readme'))
  archive = tarOf(tree, join(project, 'docs.tar'), 'pax')
})

afterAll(removeScratch)

describe('fusekit mount archive', () => {
  it('is listed by fusekit backends and explains --file in its help', async () => {
    expect((await runCli(['backends'], { cwd: project })).stdout).toMatch(/archive/)
    const help = await runCli(['mount', 'archive', '--help'], { cwd: project })
    expect(help.code, help.stderr).toBe(0)
    expect(help.stdout).toMatch(/--file <.*>\s+The \.tar archive to show/)
  })

  it('mounts an archive by name, read-only, and reads through it', async () => {
    const mount = await startMount({ backend: 'archive', args: ['--file', archive], cwd: project })
    try {
      expect(await readFile(join(mount.dir, 'readme'), 'utf8')).toBe('# from the archive\n')
      expect(await readlink(join(mount.dir, 'readme'))).toBe('docs/readme.md')
      expect((await readFile('/proc/self/mounts', 'utf8')).split('\n').find((line) => line.split(' ')[1] === mount.dir)).toMatch(/\bro\b/)
    } finally {
      expect(await mount.stop(), mount.output()).toBe(0)
    }
  })

  it('refuses a compressed archive with one line and exit 1', async () => {
    const gzipped = join(project, 'docs.tar.gz')
    execFileSync('gzip', ['-k', archive])
    await mkdir(join(project, 'mnt-unused'))
    const result = await runCli(['mount', 'archive', join(project, 'mnt-unused'), '--file', gzipped], { cwd: project })
    expect(result.code).toBe(1)
    expect(result.stderr.trim()).toBe('fusekit: error: EINVAL: the archive is gzip-compressed: members are read in place, so give the uncompressed .tar')
  })
})
