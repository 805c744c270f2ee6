import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { allCapabilities, writeSampleTree, type Capability } from '../src/cases/index.js'
import { describeCases } from '../src/cases/vitest.js'
import { unmount } from './mounts.js'

// The cases of a read-only mount, proven on a tmpfs holding the sample tree, remounted read-only:
// what a read-only backend (an archive, a snapshot) must answer.
const readOnlyTmpfs: Capability[] = allCapabilities.filter((c) => c !== 'writable' && c !== 'zeroRange')

let mountDir: string | undefined

beforeAll(async () => {
  mountDir = await mkdtemp(join(tmpdir(), 'fusekit-cases-ro-'))
  await chmod(mountDir, 0o755)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=64m', 'fusekit-cases-ro', mountDir], { stdio: 'pipe' })
  await writeSampleTree(mountDir)
  execFileSync('mount', ['-o', 'remount,ro', mountDir], { stdio: 'pipe' })
})

afterAll(async () => {
  if (!mountDir) return
  unmount(mountDir)
  await rmdir(mountDir)
})

describeCases('POSIX cases on a read-only tmpfs holding the sample tree', () => {
  if (!mountDir) throw new Error('tmpfs is not mounted: see the failure in beforeAll')
  return mountDir
}, readOnlyTmpfs, { unsupported: 'omit' })
