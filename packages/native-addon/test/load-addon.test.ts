import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { loadAddon } from '../src/index.js'
import { addonPackage, prebuiltHello, removeAddonPackages } from './addon-package.js'

afterAll(removeAddonPackages)

interface Hello {
  greeting: string
}

/** Puts something that is not an addon at `file`. */
function notAnAddon(file: string): void {
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, 'not an ELF object')
}

describe('loadAddon', () => {
  it('loads the prebuilt addon for this platform, from a path or a URL of the package root', () => {
    const dir = addonPackage({ installed: true, built: true })
    notAnAddon(join(dir, 'build', 'Release', 'hello.node'))
    expect(loadAddon<Hello>(dir, 'hello').greeting).toBe('hello')
    expect(loadAddon<Hello>(pathToFileURL(dir + '/'), 'hello').greeting).toBe('hello')
  })

  it("falls back to node-gyp's build when there is no prebuilt addon", () => {
    const dir = addonPackage({ installed: true, built: true })
    mkdirSync(join(dir, 'build', 'Release'), { recursive: true })
    renameSync(join(dir, prebuiltHello), join(dir, 'build', 'Release', 'hello.node'))
    expect(loadAddon<Hello>(dir, 'hello').greeting).toBe('hello')
  })

  it("falls back to node-gyp's build when the prebuilt addon does not load", () => {
    const dir = addonPackage({ installed: true, built: true })
    mkdirSync(join(dir, 'build', 'Release'), { recursive: true })
    renameSync(join(dir, prebuiltHello), join(dir, 'build', 'Release', 'hello.node'))
    notAnAddon(join(dir, prebuiltHello))
    expect(loadAddon<Hello>(dir, 'hello').greeting).toBe('hello')
  })

  it('fails with one line naming the package, each file tried and how to build from source', () => {
    const dir = addonPackage({ installed: true, built: false })
    notAnAddon(join(dir, 'build', 'Release', 'hello.node'))
    let message = ''
    try {
      loadAddon(dir, 'hello')
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(new RegExp(`^hello-addon: native addon hello does not load \\(${prebuiltHello.replace(/[.]/g, '\\.')}: missing; build/Release/hello\\.node: .+\\)`))
    expect(message).toContain(`\`npx node-gyp rebuild\` in ${dir}`)
    expect(message).toContain('pnpm build')
    expect(message.split('\n')).toHaveLength(1)
  })
})
