import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { posixCases } from '../src/cases/index.js'
import { describeCases } from '../src/cases/vitest.js'
import { unmount } from './mounts.js'

// The cases tmpfs cannot prove because tmpfs lacks the capability (FALLOC_FL_ZERO_RANGE), run
// on a fresh ext4 image through a loop device instead. Only those: elsewhere ext4 differs from
// the tmpfs reference (block accounting, COLLAPSE_RANGE, SEEK_DATA over delayed allocation,
// xattr value sizes).
const beyondTmpfs = posixCases.filter((testCase) => testCase.needs?.includes('zeroRange'))

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

const missing = [!existsSync('/dev/loop-control') && 'loop devices (/dev/loop-control)', !hasTool('mkfs.ext4') && 'mkfs.ext4 (e2fsprogs)'].filter(Boolean)

if (missing.length > 0) {
  // Like the FUSE suites, fail with what is missing rather than skip (`pnpm test` counts skips as failures anyway).
  describe('POSIX cases tmpfs cannot prove, on ext4', () => {
    for (const testCase of beyondTmpfs) {
      it(testCase.name, () => {
        throw new Error(`proving this case needs ${missing.join(' and ')}: run as root on a machine (or a privileged container) that has them`)
      })
    }
  })
} else {
  let work: string | undefined
  let mountDir: string | undefined

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'fusekit-cases-ext4-'))
    await chmod(work, 0o755)
    const image = join(work, 'image')
    execFileSync('truncate', ['-s', '64M', image])
    execFileSync('mkfs.ext4', ['-q', '-F', image], { stdio: 'pipe' })
    mountDir = join(work, 'mount')
    await mkdir(mountDir)
    execFileSync('mount', ['-o', 'loop', image, mountDir], { stdio: 'pipe' })
    await chmod(mountDir, 0o755)
  })

  afterAll(async () => {
    if (!work) return
    if (mountDir) unmount(mountDir) // the loop device is released with the mount (autoclear)
    await rm(work, { recursive: true, force: true })
  })

  describeCases('POSIX cases tmpfs cannot prove, on ext4', () => {
    if (!mountDir) throw new Error('ext4 is not mounted: see the failure in beforeAll')
    return mountDir
  }, ['writable', 'fallocate', 'zeroRange'], { cases: beyondTmpfs })
}
