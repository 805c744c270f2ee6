import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { allCapabilities, type Capability } from '../src/cases/index.js'
import { describeCases } from '../src/cases/vitest.js'
import { unmount } from './mounts.js'

// tmpfs is the reference: every case must pass on it. It has every capability but zeroRange
// (FALLOC_FL_ZERO_RANGE is EOPNOTSUPP on tmpfs): the one case that needs it is left out here
// (`pnpm test` counts a skipped test as failed) and proven on ext4 instead
// (posix-cases.ext4.test.ts), while its tmpfs counterpart (EOPNOTSUPP, file unchanged) runs here.
const tmpfsCapabilities: Capability[] = allCapabilities.filter((c) => c !== 'zeroRange')

let mountDir: string | undefined

beforeAll(async () => {
  // mkdtemp makes a 0700 directory: the test users must be able to pass through it.
  mountDir = await mkdtemp(join(tmpdir(), 'fusekit-cases-'))
  await chmod(mountDir, 0o755)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=256m', 'fusekit-cases', mountDir], { stdio: 'pipe' })
})

afterAll(async () => {
  if (!mountDir) return
  unmount(mountDir)
  await rmdir(mountDir)
})

describeCases('POSIX cases on tmpfs', () => {
  if (!mountDir) throw new Error('tmpfs is not mounted: see the failure in beforeAll')
  return mountDir
}, tmpfsCapabilities, { unsupported: 'omit' })
