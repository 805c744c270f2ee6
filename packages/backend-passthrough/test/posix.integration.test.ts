import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { allCapabilities, describeBackend, type Driver } from '@fusekit/testkit'
import { afterAll, beforeAll } from 'vitest'
import { passthroughBackend } from '../src/index.js'

const run = promisify(execFile)

// The kit's POSIX cases are proven on tmpfs: over a tmpfs source, the mount must answer as tmpfs
// does, through either driver (the kit leaves out what fuse-native cannot carry).
let base: string | undefined
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-cases-'))
  // Every test user walks through here into the mount's sources.
  await chmod(base, 0o755)
  await run('mount', ['-t', 'tmpfs', '-o', 'size=512m,mode=0755', 'fusekit-cases', base])
})

afterAll(async () => {
  if (base === undefined) return
  await run('umount', [base])
  await rm(base, { recursive: true, force: true })
})

function describeThrough(driver: Driver): void {
  describeBackend(passthroughBackend, {
    options: async () => {
      const source = join(base!, driver)
      await mkdir(source, { mode: 0o755 })
      return { source }
    },
    // tmpfs has no FALLOC_FL_ZERO_RANGE.
    capabilities: allCapabilities.filter((c) => c !== 'zeroRange'),
    driver,
    unsupported: 'omit',
    title: `passthrough over tmpfs (${driver} driver)`,
  })
}

describeThrough('lowlevel')
describeThrough('fuse-native')
