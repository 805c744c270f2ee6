import { spawnSync } from 'node:child_process'
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadAddon } from '../src/index.js'
import { addonPackage, prebuiltHello, removeAddonPackages } from './addon-package.js'


// A stand-in for node-gyp on PATH: it records each call and "builds" by copying a prebuilt hello.
let fakeBin: string
let builtHello: string
beforeAll(() => {
  fakeBin = mkdtempSync(join(tmpdir(), 'fusekit-fake-node-gyp-'))
  const built = addonPackage({ installed: false, built: true })
  builtHello = join(fakeBin, 'hello.node')
  cpSync(join(built, prebuiltHello), builtHello)
  writeFileSync(
    join(fakeBin, 'node-gyp'),
    `#!/bin/sh\necho "$PWD $*" >> "${fakeBin}/calls"\n[ -z "$NODE_GYP_FAILS" ] || exit 3\nmkdir -p build/Release && cp "${builtHello}" build/Release/hello.node\n`,
  )
  chmodSync(join(fakeBin, 'node-gyp'), 0o755)
})
afterAll(() => {
  rmSync(fakeBin, { recursive: true, force: true })
  removeAddonPackages()
})

/** Runs the package's install script as a package manager does: with sh, in the package's directory. */
function install(dir: string, env: NodeJS.ProcessEnv = {}) {
  rmSync(join(fakeBin, 'calls'), { force: true })
  const { scripts } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: { install: string } }
  const result = spawnSync('sh', ['-c', scripts.install], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ...env, PATH: `${fakeBin}${delimiter}${process.env.PATH}` },
  })
  const calls = existsSync(join(fakeBin, 'calls')) ? readFileSync(join(fakeBin, 'calls'), 'utf8').trim().split('\n') : []
  return { code: result.status, stderr: result.stderr, nodeGypCalls: calls }
}

describe('the install script (@fusekit/native-addon/install)', () => {
  it('does nothing when the prebuilt addons load', () => {
    const dir = addonPackage({ installed: true, built: true })
    const result = install(dir)
    expect(result).toEqual({ code: 0, stderr: '', nodeGypCalls: [] })
  })

  it('builds from source with node-gyp when no prebuilt addon loads, and the build then loads', () => {
    const dir = addonPackage({ installed: true, built: false })
    const result = install(dir)
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toContain(`hello-addon: no prebuilt hello loads on ${process.platform}-${process.arch}: building from source with node-gyp`)
    expect(result.nodeGypCalls).toEqual([`${dir} rebuild`])
    expect(loadAddon<{ greeting: string }>(dir, 'hello').greeting).toBe('hello')
  })

  it("fails with node-gyp's exit code when the build fails", () => {
    const dir = addonPackage({ installed: true, built: false })
    const result = install(dir, { NODE_GYP_FAILS: '1' })
    expect(result.code).toBe(3)
    expect(result.nodeGypCalls).toEqual([`${dir} rebuild`])
  })

  it('does nothing in a checkout, whose own build compiles the addons', () => {
    const dir = addonPackage({ installed: false, built: false })
    const result = install(dir)
    expect(result).toEqual({ code: 0, stderr: '', nodeGypCalls: [] })
  })
})
