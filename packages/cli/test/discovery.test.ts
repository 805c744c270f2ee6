import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { runCli, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { coreUrl, writeHelloPackage, writePackage, zodUrl } from './fixtures/hello-package.js'

let project: string
let mountpoint: string
let helloDir: string
/** The @fusekit/core the CLI loads, by its real path, and its version. */
const cliCoreDir = dirname(dirname(createRequire(import.meta.url).resolve('@fusekit/core')))
let cliCore: { dir: string; version: string }

const descriptor = (fields: string) => `import { z } from ${JSON.stringify(zodUrl)}
export default { layer: 'path', description: 'a fixture', options: z.object({}), ${fields} }
`

/** A package using the backend hello under another name, importing @fusekit/core from its own node_modules, where a copy of `version` is. */
async function writeCopyOfCore(name: string, version: string): Promise<string> {
  const dir = await writePackage(
    project,
    `fusekit-backend-${name}`,
    `import hello from ${JSON.stringify(join(helloDir, 'index.js'))}
import { defineBackend } from '@fusekit/core'
export default defineBackend({ ...hello, name: ${JSON.stringify(name)} })
`,
  )
  // The copy re-exports the real core, so the backend works: only its place and version differ.
  const core = join(dir, 'node_modules/@fusekit/core')
  await mkdir(core, { recursive: true })
  await writeFile(join(core, 'package.json'), JSON.stringify({ name: '@fusekit/core', version, type: 'module', exports: './index.js' }))
  await writeFile(join(core, 'index.js'), `export * from ${JSON.stringify(coreUrl)}\n`)
  return core
}

beforeAll(async () => {
  project = await realpath(await mkdtemp(join(tmpdir(), 'fusekit-cli-discovery-')))
  mountpoint = join(project, 'mnt')
  await mkdir(mountpoint)
  helloDir = await writeHelloPackage(project)
  cliCore = { dir: await realpath(cliCoreDir), version: (JSON.parse(await readFile(join(cliCoreDir, 'package.json'), 'utf8')) as { version: string }).version }
  await writePackage(project, 'fusekit-backend-nodefault', 'export const backend = {}\n')
  await writePackage(project, 'fusekit-backend-oldapi', descriptor(`apiVersion: 1, name: 'oldapi', create() { return {} }`))
  await writePackage(project, 'fusekit-backend-newapi', descriptor(`apiVersion: 3, name: 'newapi', create() { return {} }`))
  await writePackage(project, 'fusekit-backend-throws', descriptor(`apiVersion: 2, name: 'throws', create() { throw new Error('cannot reach the server\\nat line two') }`))
  await writePackage(project, 'fusekit-backend-syntax', 'export default {\n  name: "syntax",\n  oops oops\n}\n')
  await writePackage(project, 'fusekit-backend-missingdep', `import 'left-pad-nowhere'\n${descriptor(`apiVersion: 2, name: 'missingdep', create() { return {} }`)}`)
  await writePackage(project, 'fusekit-backend-explodes', 'throw new TypeError("backend module exploded")\n')
  await writePackage(project, 'fusekit-backend-hangs', 'await new Promise(() => setInterval(() => {}, 1000))\n')
  await writePackage(project, 'fusekit-backend-exits', 'console.error("giving up"); process.exit(3)\n')
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

const entryOf = (name: string) => join(project, `node_modules/fusekit-backend-${name}/index.js`)

/** Runs fusekit mount <backend> <mountpoint> in the project; expects one line on stderr and the exit code. */
async function mountError(backend: string, code: number): Promise<string> {
  const result = await runCli(['mount', backend, mountpoint], { cwd: project })
  expect(result.code, result.stderr).toBe(code)
  expect(result.stderr.endsWith('\n') && result.stderr.split('\n').length === 2, result.stderr).toBe(true)
  return result.stderr.trimEnd()
}

describe('bad plugins: one line and a non-zero exit each', () => {
  it('no default export', async () => {
    expect(await mountError('nodefault', 1)).toBe(
      `fusekit: error: cannot load backend fusekit-backend-nodefault 1.2.3 (${entryOf('nodefault')}): no default export (export default defineBackend({...}) from @fusekit/core)`,
    )
  })

  it('an older plugin API version: both versions and what changed', async () => {
    expect(await mountError('oldapi', 1)).toMatch(
      new RegExp(
        `^fusekit: error: cannot load backend fusekit-backend-oldapi 1\\.2\\.3 \\(${entryOf('oldapi')}\\): backend oldapi declares plugin API version 1, this fusekit implements version 2: in version 2 every operation receives a request context first .*; update the backend for @fusekit/core 2$`,
      ),
    )
  })

  it('a newer plugin API version', async () => {
    expect(await mountError('newapi', 1)).toBe(
      `fusekit: error: cannot load backend fusekit-backend-newapi 1.2.3 (${entryOf('newapi')}): backend newapi declares plugin API version 3, this fusekit implements version 2: it needs a newer fusekit; upgrade @fusekit/cli and @fusekit/core`,
    )
  })

  it('a create() that throws', async () => {
    expect(await mountError('throws', 1)).toBe('fusekit: error: backend throws failed to start: cannot reach the server')
  })

  it('a module with a syntax error', async () => {
    expect(await mountError('syntax', 1)).toMatch(new RegExp(`^fusekit: error: cannot load backend fusekit-backend-syntax 1\\.2\\.3 \\(${entryOf('syntax')}\\): SyntaxError: \\S`))
  })

  it('a module whose dependency is missing', async () => {
    expect(await mountError('missingdep', 1)).toBe(
      `fusekit: error: cannot load backend fusekit-backend-missingdep 1.2.3 (${entryOf('missingdep')}): Cannot find package 'left-pad-nowhere' imported from ${entryOf('missingdep')}`,
    )
  })

  it('a name that is not installed: the install command', async () => {
    expect(await mountError('@acme/nothere', 2)).toMatch(
      /^fusekit: error: unknown backend "@acme\/nothere": package @acme\/fusekit-backend-nothere is not installed here or next to fusekit; install it with `npm install @acme\/fusekit-backend-nothere` \(installed backends: memory, passthrough, s3, /,
    )
  })
})

describe('fusekit backends with bad plugins', () => {
  it('says which load and why the others do not, in time, whatever they do on import', async () => {
    const started = Date.now()
    const result = await runCli(['backends', '--timeout', '10'], { cwd: project, timeoutMs: 60_000 })
    expect(result.code, result.stderr).toBe(0)
    const status = (name: string) => result.stdout.split('\n').find((line) => line.startsWith(`${name} `))?.replace(/^\S+ +\S+ +\S+ +\S+ +/, '')
    expect(status('hello')).toBe('loads')
    expect(status('memory')).toBe('loads')
    expect(status('nodefault')).toBe('does not load: no default export (export default defineBackend({...}) from @fusekit/core)')
    expect(status('oldapi')).toMatch(/^does not load: backend oldapi declares plugin API version 1, this fusekit implements version 2: /)
    expect(status('syntax')).toMatch(/^does not load: SyntaxError: \S/)
    expect(status('missingdep')).toBe(`does not load: Cannot find package 'left-pad-nowhere' imported from ${entryOf('missingdep')}`)
    expect(status('explodes')).toBe('does not load: TypeError: backend module exploded')
    expect(status('hangs')).toBe('does not load: still loading after 10 s (does it wait for something at import?)')
    expect(status('exits')).toBe('does not load: the process loading it exited with code 3: giving up')
    // create() is not called by a listing.
    expect(status('throws')).toBe('loads')
    expect(result.stdout).toMatch(/^hangs +fusekit-backend-hangs +1\.2\.3 +- +does not load/m)
    // The hang costs its timeout, not more.
    expect(Date.now() - started).toBeLessThan(40_000)
  })
})

describe('a plugin with its own copy of @fusekit/core', () => {
  it('is mounted with a one-line warning naming both copies', async () => {
    const copy = await writeCopyOfCore('twocores', '0.0.9')
    const mount = await startMount({ backend: 'twocores', cwd: project })
    try {
      expect(await readFile(join(mount.dir, 'hello'), 'utf8')).toBe('hello\n')
    } finally {
      expect(await mount.stop(), mount.output()).toBe(0)
    }
    expect(mount.output().split('\n').filter((line) => line.startsWith('fusekit: warning: '))).toEqual([
      `fusekit: warning: backend twocores brings its own @fusekit/core 0.0.9 (${copy}) while fusekit uses ${cliCore.version} (${cliCore.dir}): ` +
        'FsError and the DI tokens differ between the copies, so its errors may be answered EIO; it should list @fusekit/core as a peerDependency',
    ])
  })

  it('says so for the same version at another path, in fusekit backends too', async () => {
    const copy = await writeCopyOfCore('samecore', cliCore.version)
    const result = await runCli(['backends', '--timeout', '10'], { cwd: project, timeoutMs: 60_000 })
    const line = result.stdout.split('\n').find((l) => l.startsWith('samecore '))
    expect(line).toContain(`loads (warning: backend samecore brings a second copy of @fusekit/core ${cliCore.version} (${copy}) while fusekit uses ${cliCore.version} (${cliCore.dir}): `)
  })
})
