import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { cleanupMounts, runCli } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { e2e } from './e2e-context.js'
import { allTarballs, installProject, type Installed } from './installs.js'
import { checkMountCase, MOUNTS } from './mount-cases.js'
import { cleanEnv, NODE_PREFIX, npm } from './npm.js'
import { bindingTargets } from './packed-packages.js'

// Where no prebuilt addon fits: installed with a C compiler on PATH (and the install scripts of
// the packages with addons allowed, as npm 12 wants), to be rebuilt from source.

const withAddons = e2e.packed.filter((pkg) => bindingTargets(pkg).length > 0)
/** npm's environment with a C compiler (no C++ one), and Node's own headers for node-gyp (no download). */
function withCCompiler(): NodeJS.ProcessEnv {
  return { ...cleanEnv(e2e.withoutCxx), npm_config_nodedir: NODE_PREFIX }
}

let installed: Installed

beforeAll(async () => {
  const missing = ['cc', 'make', 'python3'].filter((command) => spawnSync('sh', ['-c', `command -v ${command}`], { env: { PATH: e2e.withoutCxx } }).status !== 0)
  if (missing.length > 0) throw new Error(`node-gyp builds the addons from source with make, python3 and a C compiler; missing: ${missing.join(', ')} (apt-get install make python3 gcc)`)
  const allowScripts = Object.fromEntries(withAddons.map((pkg) => [pkg.name, true]))
  installed = await installProject(mkdtempSync(join(e2e.work, 'from-source-')), allTarballs(), { env: withCCompiler(), manifest: { allowScripts } })
  process.env.FUSEKIT_CLI = join(installed.bin, 'fusekit')
})

afterAll(() => {
  cleanupMounts()
  delete process.env.FUSEKIT_CLI
})

describe('where no prebuilt addon fits', () => {
  it('a mount fails with one line saying how to build the addon; npm rebuild builds it from source with node-gyp, and mounts load it', async () => {
    for (const pkg of withAddons) rmSync(join(installed.packageDir(pkg.name), 'prebuilds'), { recursive: true })

    const refused = await runCli(['mount', 'memory', mkdtempSync(join(e2e.work, 'unbuilt-'))], { cwd: installed.cwd, env: withCCompiler() })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^fusekit: error: .*@fusekit\/core: native addon fuse-session does not load \(.*\): build it from source with `npx node-gyp rebuild` in \S+\/@fusekit\/core /)
    expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1)

    await npm(['rebuild', ...withAddons.map((pkg) => pkg.name)], installed.cwd, withCCompiler())

    for (const pkg of withAddons) {
      const built = readdirSync(join(installed.packageDir(pkg.name), 'build/Release')).filter((file) => file.endsWith('.node'))
      expect(built.sort(), pkg.name).toEqual(bindingTargets(pkg).map((target) => `${target.target_name}.node`).sort())
    }
    for (const mountCase of MOUNTS) await checkMountCase(mountCase, installed.cwd, withCCompiler())
  }, 600_000)
})
