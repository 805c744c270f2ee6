import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { cleanupMounts, runCli, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMPILERS, CXX_COMPILERS, pathWithout } from './commands-path.js'
import { cleanEnv, NODE_PREFIX, npm } from './npm.js'
import { packAll, type PackedPackage } from './packed-packages.js'

// Every package is packed with pnpm pack, installed from its tarball outside the workspace with
// no compiler on PATH (in a project, and globally), and used there. To test one more package, add
// it to this package's devDependencies with a workspace: range (test/packed-packages.ts); to mount
// one more backend from each install, add a line to MOUNTS.

interface MountCase {
  backend: string
  /** The flags after the mountpoint, given a fresh empty directory. */
  args: (dir: string) => string[]
  /** Files written through the mount show in that directory. */
  mirrors?: boolean
}

const MOUNTS: MountCase[] = [
  { backend: 'memory', args: () => [] },
  { backend: 'passthrough', args: (dir) => ['--source', dir], mirrors: true },
]

const BUILTIN_BACKENDS = ['memory', 'passthrough', 's3']
const PREBUILDS = `prebuilds/${process.platform}-${process.arch}`

let work: string
/** PATH without compilers, and without C++ ones only (node-gyp builds the addons with a C compiler). */
let compilerFree: string
let withoutCxx: string
let packed: PackedPackage[]
// Each install, started at once after packing (npm spends most of its time waiting on the registry).
const installs = new Map<string, Promise<Installed>>()

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fusekit-e2e-'))
  compilerFree = pathWithout(join(work, 'compiler-free-bin'), COMPILERS)
  withoutCxx = pathWithout(join(work, 'no-cxx-bin'), CXX_COMPILERS)
  packed = await packAll(join(work, 'tarballs'))
  for (const { where, install } of [...INSTALLS, FROM_SOURCE]) {
    const installing = install(mkdtempSync(join(work, 'install-')))
    installing.catch(() => {}) // Reported by the describe block that awaits it.
    installs.set(where, installing)
  }
})

afterAll(() => {
  cleanupMounts()
  delete process.env.FUSEKIT_CLI
  if (work) rmSync(work, { recursive: true, force: true })
})

/** The addons of a package, from the binding.gyp in its workspace directory (none without one). */
function bindingTargets(pkg: PackedPackage): { target_name: string; sources: string[] }[] {
  const file = join(pkg.dir, 'binding.gyp')
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { targets: { target_name: string; sources: string[] }[] }).targets : []
}

describe('the packed tarballs', () => {
  it('hold the README and the built code, none of the tests, TypeScript sources or source maps', () => {
    for (const pkg of packed) {
      expect(pkg.files, pkg.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']))
      expect(pkg.files.filter((file) => /(^|\/)(test|src)\/|\.test\.|\.map$|tsconfig/.test(file)), pkg.name).toEqual([])
    }
  })

  it('carry each addon prebuilt for this platform, and the binding.gyp and C sources node-gyp builds it from elsewhere', () => {
    const withAddons = packed.filter((pkg) => bindingTargets(pkg).length > 0)
    expect(withAddons.map((pkg) => pkg.name).sort()).toEqual(['@fusekit/backend-passthrough', '@fusekit/core'])
    for (const pkg of withAddons) {
      const targets = bindingTargets(pkg)
      const expected = ['binding.gyp', ...targets.flatMap((target) => [...target.sources, `${PREBUILDS}/${target.target_name}.node`])]
      expect(pkg.files, pkg.name).toEqual(expect.arrayContaining(expected))
      expect(pkg.manifest.scripts?.install, pkg.name).toContain('@fusekit/native-addon/install')
    }
    const strayAddons = packed.flatMap((pkg) => pkg.files.filter((file) => file.endsWith('.node') && !file.startsWith('prebuilds/')).map((file) => `${pkg.name}: ${file}`))
    expect(strayAddons).toEqual([])
  })

  it('name versions of each other, not workspace: ranges', () => {
    for (const pkg of packed) {
      const ranges = Object.values({ ...pkg.manifest.dependencies, ...pkg.manifest.peerDependencies })
      expect(ranges.filter((range) => range.startsWith('workspace:')), pkg.name).toEqual([])
    }
  })
})

interface Installed {
  /** Where `fusekit` is linked. */
  bin: string
  /** The directory of an installed package. */
  packageDir: (name: string) => string
  /** Where the CLI runs from. */
  cwd: string
}

interface Install {
  where: string
  install: (dir: string) => Promise<Installed>
}

const INSTALLS: Install[] = [
  {
    where: 'a fresh project (npm install of the tarballs)',
    async install(dir) {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fusekit-e2e-project', private: true }))
      await npm(['install', ...packed.map((pkg) => pkg.tarball)], dir, cleanEnv(compilerFree))
      return { bin: join(dir, 'node_modules/.bin'), packageDir: (name) => join(dir, 'node_modules', name), cwd: dir }
    },
  },
  {
    where: 'a global prefix (npm install -g --prefix)',
    async install(dir) {
      await npm(['install', '--global', '--prefix', dir, ...packed.map((pkg) => pkg.tarball)], dir, cleanEnv(compilerFree))
      return { bin: join(dir, 'bin'), packageDir: (name) => join(dir, 'lib/node_modules', name), cwd: work }
    },
  },
]

// Where no prebuilt addon fits: installed with a C compiler on PATH (and the install scripts of
// the packages with addons allowed, as npm 12 wants), to be rebuilt from source.
const FROM_SOURCE: Install = {
  where: 'a project that builds from source',
  async install(dir) {
    const missing = ['cc', 'make', 'python3'].filter((command) => spawnSync('sh', ['-c', `command -v ${command}`], { env: { PATH: withoutCxx } }).status !== 0)
    if (missing.length > 0) throw new Error(`node-gyp builds the addons from source with make, python3 and a C compiler; missing: ${missing.join(', ')} (apt-get install make python3 gcc)`)
    const allowScripts = Object.fromEntries(packed.filter((pkg) => bindingTargets(pkg).length > 0).map((pkg) => [pkg.name, true]))
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fusekit-e2e-from-source', private: true, allowScripts }))
    await npm(['install', ...packed.map((pkg) => pkg.tarball)], dir, withCCompiler())
    return { bin: join(dir, 'node_modules/.bin'), packageDir: (name) => join(dir, 'node_modules', name), cwd: dir }
  },
}

/** npm's environment with a C compiler (no C++ one), and Node's own headers for node-gyp (no download). */
function withCCompiler(): NodeJS.ProcessEnv {
  return { ...cleanEnv(withoutCxx), npm_config_nodedir: NODE_PREFIX }
}

describe.each(INSTALLS)('installed in $where with no compiler on PATH', ({ where }) => {
  let installed: Installed
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    installed = await installs.get(where)!
    env = cleanEnv(`${installed.bin}${delimiter}${compilerFree}`)
    // The kit's mounts run this install's fusekit.
    process.env.FUSEKIT_CLI = join(installed.bin, 'fusekit')
  })

  /** `fusekit <args>` by name from PATH, as a user runs it. */
  function fusekit(...args: string[]) {
    const result = spawnSync('fusekit', args, { cwd: installed.cwd, env, encoding: 'utf8', timeout: 60_000 })
    expect(result.status, `fusekit ${args.join(' ')}: ${result.error?.message ?? result.stderr}`).toBe(0)
    return result.stdout.trim().split('\n')
  }

  it('fusekit --version names every fusekit package installed, the CLI first', () => {
    const lines = fusekit('--version')
    const fusekitPackages = packed.filter((pkg) => pkg.name.startsWith('@fusekit/'))
    expect(lines[0]).toBe(`@fusekit/cli ${packed.find((pkg) => pkg.name === '@fusekit/cli')!.version}`)
    expect(lines.sort()).toEqual(fusekitPackages.map((pkg) => `${pkg.name} ${pkg.version}`).sort())
  })

  it('fusekit backends lists the built-in backends', () => {
    const names = fusekit('backends').map((line) => line.split(/\s+/)[0])
    expect(names).toEqual(expect.arrayContaining(BUILTIN_BACKENDS))
  })

  it.each(MOUNTS)('mounts $backend by name; files written through it read back, and it unmounts cleanly', async ({ backend, args, mirrors }) => {
    const dir = mkdtempSync(join(work, `${backend}-`))
    const mount = await startMount({ backend, args: args(dir), cwd: installed.cwd, env })
    let code: number | null
    try {
      writeFileSync(join(mount.dir, 'hello.txt'), 'written through the mount\n')
      mkdirSync(join(mount.dir, 'sub'))
      expect(readFileSync(join(mount.dir, 'hello.txt'), 'utf8')).toBe('written through the mount\n')
      expect(readdirSync(mount.dir).sort()).toEqual(['hello.txt', 'sub'])
      if (mirrors) expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('written through the mount\n')
    } finally {
      code = await mount.stop()
    }
    expect(code, mount.output()).toBe(0)
  })

  it('loads the prebuilt addons: nothing was built at install', () => {
    for (const pkg of packed.filter((candidate) => bindingTargets(candidate).length > 0)) {
      expect(existsSync(join(installed.packageDir(pkg.name), 'build')), pkg.name).toBe(false)
      expect(readdirSync(join(installed.packageDir(pkg.name), PREBUILDS)).sort(), pkg.name).toEqual(bindingTargets(pkg).map((target) => `${target.target_name}.node`).sort())
    }
  })
})

describe('where no prebuilt addon fits', () => {
  it('a mount fails with one line saying how to build the addon; npm rebuild builds it from source with node-gyp, and mounts load it', async () => {
    const installed = await installs.get(FROM_SOURCE.where)!
    const withAddons = packed.filter((pkg) => bindingTargets(pkg).length > 0)
    for (const pkg of withAddons) rmSync(join(installed.packageDir(pkg.name), 'prebuilds'), { recursive: true })
    process.env.FUSEKIT_CLI = join(installed.bin, 'fusekit')

    const refused = await runCli(['mount', 'memory', mkdtempSync(join(work, 'unbuilt-'))], { cwd: installed.cwd, env: withCCompiler() })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^fusekit: error: .*@fusekit\/core: native addon fuse-session does not load \(.*\): build it from source with `npx node-gyp rebuild` in \S+\/@fusekit\/core /)
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1)

    await npm(['rebuild', ...withAddons.map((pkg) => pkg.name)], installed.cwd, withCCompiler())

    for (const pkg of withAddons) {
      const built = readdirSync(join(installed.packageDir(pkg.name), 'build/Release')).filter((file) => file.endsWith('.node'))
      expect(built.sort(), pkg.name).toEqual(bindingTargets(pkg).map((target) => `${target.target_name}.node`).sort())
    }
    for (const { backend, args } of MOUNTS) {
      const mount = await startMount({ backend, args: args(mkdtempSync(join(work, `${backend}-`))), cwd: installed.cwd, env: withCCompiler() })
      writeFileSync(join(mount.dir, 'hello.txt'), 'built from source\n')
      expect(readFileSync(join(mount.dir, 'hello.txt'), 'utf8')).toBe('built from source\n')
      expect(await mount.stop(), mount.output()).toBe(0)
    }
  }, 600_000)
})
