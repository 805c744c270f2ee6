import { describe, expect, it } from 'vitest'
import { e2e } from './e2e-context.js'
import { bindingTargets } from './packed-packages.js'

// Every package under test (this package's workspace: devDependencies) as pnpm pack made it.

const PREBUILDS = `prebuilds/${process.platform}-${process.arch}`

describe('the packed tarballs', () => {
  it('hold the README and the built code, none of the tests, TypeScript sources or source maps', () => {
    for (const pkg of e2e.packed) {
      expect(pkg.files, pkg.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']))
      expect(pkg.files.filter((file) => /(^|\/)(test|src)\/|\.test\.|\.map$|tsconfig/.test(file)), pkg.name).toEqual([])
    }
  })

  it('carry each addon prebuilt for this platform, and the binding.gyp and C sources node-gyp builds it from elsewhere', () => {
    const withAddons = e2e.packed.filter((pkg) => bindingTargets(pkg).length > 0)
    expect(withAddons.map((pkg) => pkg.name).sort()).toEqual(['@fusekit/backend-passthrough', '@fusekit/core'])
    for (const pkg of withAddons) {
      const targets = bindingTargets(pkg)
      const expected = ['binding.gyp', ...targets.flatMap((target) => [...target.sources, `${PREBUILDS}/${target.target_name}.node`])]
      expect(pkg.files, pkg.name).toEqual(expect.arrayContaining(expected))
      expect(pkg.manifest.scripts?.install, pkg.name).toContain('@fusekit/native-addon/install')
    }
    const strayAddons = e2e.packed.flatMap((pkg) => pkg.files.filter((file) => file.endsWith('.node') && !file.startsWith('prebuilds/')).map((file) => `${pkg.name}: ${file}`))
    expect(strayAddons).toEqual([])
  })

  it('name versions of each other, not workspace: ranges', () => {
    for (const pkg of e2e.packed) {
      const ranges = Object.values({ ...pkg.manifest.dependencies, ...pkg.manifest.optionalDependencies, ...pkg.manifest.peerDependencies })
      expect(ranges.filter((range) => range.startsWith('workspace:')), pkg.name).toEqual([])
    }
  })
})
