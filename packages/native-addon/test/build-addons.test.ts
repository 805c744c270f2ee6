import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { addonPackage, buildAddons, removeAddonPackages } from './addon-package.js'

afterAll(removeAddonPackages)

// scripts/build-addons.mjs, the workspace build that makes the prebuilt addons; addonPackage() shows it builds.
describe('build-addons', () => {
  it('refuses a C file that no target of binding.gyp compiles', () => {
    const dir = addonPackage({ installed: false, built: false })
    writeFileSync(join(dir, 'native', 'forgotten.c'), 'int forgotten(void) { return 0; }\n')
    let stderr = ''
    try {
      buildAddons(dir)
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr)
    }
    expect(stderr).toBe('build-addons: native/forgotten.c is in no target of binding.gyp: add it to the sources of the addon it belongs to\n')
  })
})
