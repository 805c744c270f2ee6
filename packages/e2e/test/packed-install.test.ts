import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkSampleTree, cleanupMounts, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { e2e } from './e2e-context.js'
import { allTarballs, fusekit, installGlobally, installProject, userEnv, type Installed } from './installs.js'
import { checkMountCase, MOUNTS } from './mount-cases.js'
import { bindingTargets } from './packed-packages.js'
import { ARCHIVE_CAPABILITIES, sampleArchive } from './sample-archive.js'

// Every package is installed from its tarball outside the workspace with no compiler on PATH (in
// a project, and globally), and used there. To test one more package, add it to this package's
// devDependencies with a workspace: range (test/packed-packages.ts); to mount one more backend
// from each install, add a line to MOUNTS (test/mount-cases.ts).

const BUILTIN_BACKENDS = ['memory', 'passthrough', 's3']
const EXAMPLE = e2e.packed.find((pkg) => pkg.name === 'fusekit-backend-archive')!
const PREBUILDS = `prebuilds/${process.platform}-${process.arch}`

interface Install {
  where: string
  install: (dir: string) => Promise<Installed>
}

const INSTALLS: Install[] = [
  { where: 'a fresh project (npm install of the tarballs)', install: (dir) => installProject(dir, allTarballs()) },
  { where: 'a global prefix (npm install -g --prefix)', install: (prefix) => installGlobally(prefix, allTarballs()) },
]

// Both installs at once (npm spends most of its time waiting on the registry and the disk).
const installs = new Map<string, Promise<Installed>>()
let archive: string

beforeAll(async () => {
  for (const { where, install } of INSTALLS) {
    const installing = install(mkdtempSync(join(e2e.work, 'install-')))
    installing.catch(() => {}) // Reported by the describe block that awaits it.
    installs.set(where, installing)
  }
  archive = await sampleArchive()
})

afterAll(() => {
  cleanupMounts()
  delete process.env.FUSEKIT_CLI
})

describe.each(INSTALLS)('installed in $where with no compiler on PATH', ({ where }) => {
  let installed: Installed
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    installed = await installs.get(where)!
    env = userEnv(installed)
    // The kit's mounts run this install's fusekit.
    process.env.FUSEKIT_CLI = join(installed.bin, 'fusekit')
  })

  /** The lines `fusekit <args>` prints, once it succeeded. */
  async function fusekitLines(...args: string[]): Promise<string[]> {
    const result = await fusekit(installed, args)
    expect(result.code, `fusekit ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result.stdout.trim().split('\n')
  }

  it('fusekit --version names every fusekit package installed, the CLI first', async () => {
    const lines = await fusekitLines('--version')
    const fusekitPackages = e2e.packed.filter((pkg) => pkg.name.startsWith('@fusekit/'))
    expect(lines[0]).toBe(`@fusekit/cli ${e2e.packed.find((pkg) => pkg.name === '@fusekit/cli')!.version}`)
    expect(lines.sort()).toEqual(fusekitPackages.map((pkg) => `${pkg.name} ${pkg.version}`).sort())
  })

  it('fusekit backends lists the built-in backends and the example, each loading', async () => {
    const rows = (await fusekitLines('backends')).slice(1).map((line) => line.split(/\s+/))
    expect(rows.filter(([name]) => BUILTIN_BACKENDS.includes(name!)).map(([name, , , , status]) => [name, status])).toEqual(BUILTIN_BACKENDS.map((name) => [name, 'loads']))
    expect(rows.find(([name]) => name === 'archive')).toEqual(['archive', EXAMPLE.name, EXAMPLE.version, 'inode', 'loads'])
  })

  it.each(MOUNTS)('mounts $label by name; files written through it read back, and it unmounts cleanly', (mountCase) => checkMountCase(mountCase, installed.cwd, env))

  it('mounts the example by name (fusekit mount archive <dir> --file x.tar), read-only, showing the archive to real syscalls', async () => {
    const mount = await startMount({ backend: 'archive', args: ['--file', archive], cwd: installed.cwd, env })
    let code: number | null
    try {
      await checkSampleTree(mount.dir, ARCHIVE_CAPABILITIES)
      expect(() => writeFileSync(join(mount.dir, 'new.txt'), 'refused')).toThrow(expect.objectContaining({ code: 'EROFS' }))
    } finally {
      code = await mount.stop()
    }
    expect(code, mount.output()).toBe(0)
  })

  it('loads the prebuilt addons: nothing was built at install', () => {
    for (const pkg of e2e.packed.filter((candidate) => bindingTargets(candidate).length > 0)) {
      expect(existsSync(join(installed.packageDir(pkg.name), 'build')), pkg.name).toBe(false)
      expect(readdirSync(join(installed.packageDir(pkg.name), PREBUILDS)).sort(), pkg.name).toEqual(bindingTargets(pkg).map((target) => `${target.target_name}.node`).sort())
    }
  })
})
