import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { cleanupMounts } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { e2e } from './e2e-context.js'
import { withoutLibfuse } from './hidden-libfuse.js'
import { allTarballs, fusekit, installGlobally, installProject, userEnv, type Installed } from './installs.js'
import { checkMountCase, MOUNTS } from './mount-cases.js'
import { run } from './run.js'

// A machine without libfuse 2: npm installs the packages where the library does not load, with
// no compiler on PATH, so fuse-native's install script can neither load its prebuilt binding nor
// build one. fuse-native is an optional dependency of @fusekit/core: npm leaves it out and the
// install succeeds; the default driver mounts, and --driver fuse-native says what to install.

interface Install {
  where: string
  install: (dir: string, via: string[]) => Promise<Installed>
  /** The install the error message asks to run again once libfuse 2 is there. */
  reinstall: (dir: string) => string
}

const INSTALLS: Install[] = [
  { where: 'a project', install: (dir, via) => installProject(dir, allTarballs(), { via }), reinstall: (dir) => `cd ${dir} && npm install` },
  { where: 'a global prefix', install: (prefix, via) => installGlobally(prefix, allTarballs(), via), reinstall: () => 'npm install -g @fusekit/cli' },
]

const DEFAULT_DRIVER_MOUNT = MOUNTS.find((mountCase) => mountCase.label === 'memory')!
let via: string[]
const installs = new Map<string, Promise<{ installed: Installed; dir: string }>>()

beforeAll(async () => {
  via = await withoutLibfuse()
  for (const { where, install } of INSTALLS) {
    const dir = mkdtempSync(join(e2e.work, 'no-libfuse-'))
    const installing = install(dir, via).then((installed) => ({ installed, dir }))
    installing.catch(() => {}) // Reported by the describe block that awaits it.
    installs.set(where, installing)
  }
})

afterAll(() => {
  cleanupMounts()
  delete process.env.FUSEKIT_CLI
})

describe.each(INSTALLS)('npm install in $where where libfuse 2 does not load', ({ where, reinstall }) => {
  let installed: Installed
  let dir: string

  beforeAll(async () => {
    ;({ installed, dir } = await installs.get(where)!)
    process.env.FUSEKIT_CLI = join(installed.bin, 'fusekit')
  })

  it('succeeds without fuse-native, which @fusekit/core then does not find', async () => {
    // Resolved by a node of the user's environment: this process may have NODE_PATH (pnpm run
    // sets it to the workspace's store, where fuse-native is).
    const resolveFromCore = `require('node:module').createRequire(${JSON.stringify(join(installed.packageDir('@fusekit/core'), 'package.json'))}).resolve('fuse-native')`
    const resolved = await run(process.execPath, ['-e', resolveFromCore], { cwd: installed.cwd, env: userEnv(installed), timeoutMs: 30_000 })
    expect(resolved.code, resolved.stdout).toBe(1)
    expect(resolved.stderr).toContain("Cannot find module 'fuse-native'")
  })

  it('mounts memory with the default driver, which needs no fuse-native', () => checkMountCase(DEFAULT_DRIVER_MOUNT, installed.cwd, userEnv(installed)))

  it('--driver fuse-native fails with one line saying what to install and which install to run again', async () => {
    const result = await fusekit(installed, ['mount', 'memory', mkdtempSync(join(e2e.work, 'unmounted-')), '--driver', 'fuse-native'], { via })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toMatch(/^fusekit: error: ENODEV: the fuse-native driver needs the package fuse-native, which is not installed .*: install libfuse 2 and fusermount: apt-get install -y libfuse2 fuse, then reinstall with `(.*)`; the default driver needs neither\n$/)
    expect(result.stderr).toContain(`reinstall with \`${reinstall(dir)}\``)
  })
})
