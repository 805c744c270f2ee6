// The passthrough backend beside bindfs on the same source directory and the source itself.
// Each target works in its own subdirectory of the one source, so all three write to the same
// filesystem and none sees the others' files.
import { mkdirSync } from 'node:fs'
import os from 'node:os'
import { join, relative } from 'node:path'
import { fusekitDefaults } from '../lib/fuse-options.mjs'
import { backendSpec, mountBindfs, mountFusekit, scratchDir, servedBy } from '../lib/mounts.mjs'
import { randomReads, sequential, tree } from '../lib/phases.mjs'
import { scale } from '../lib/scale.mjs'
import { filesystemOf } from '../lib/system.mjs'

export const passthroughSuite = {
  name: 'passthrough',
  subject: 'passthrough',
  references: ['bindfs', 'direct'],
  groups: (settings) => [
    sequential({ sizeMiB: settings.sizeMiB }),
    tree({ source: settings.tree }),
    randomReads({ sizeMiB: settings.fioSizeMiB, runtime: settings.fioRuntime }),
    scale({ counts: settings.scaleFiles }),
  ],

  async mount(settings) {
    const { fuseOptions } = await fusekitDefaults('packages/backend-passthrough')
    const root = scratchDir(os.tmpdir(), 'fusekit-bench-')
    const source = scratchDir(settings.sourceParent, 'fusekit-bench-source-')
    const passthroughDir = join(root, 'passthrough')
    const bindfsDir = join(root, 'bindfs')
    mkdirSync(passthroughDir)
    mkdirSync(bindfsDir)
    for (const name of ['passthrough', 'bindfs', 'direct']) mkdirSync(join(source, name))

    const passthrough = await servedBy(() => mountFusekit(backendSpec('passthrough'), passthroughDir, ['--source', source, ...settings.fusekitArgs]))
    const bindfsOptions = { fuseOptions: [...fuseOptions, ...settings.bindfsOptions], flags: settings.bindfsFlags }
    const bindfs = await servedBy(() => mountBindfs(source, bindfsDir, bindfsOptions))

    const target = (name, mountpoint, fuse, commands, server) => {
      const dir = join(mountpoint, name)
      return { name, dir, fuse, commands, server, sourceOf: (path) => join(source, name, relative(dir, path)) }
    }
    return {
      fuseOptions,
      notes: [`source: ${source} (${filesystemOf(source)})`],
      targets: [
        target('passthrough', passthroughDir, true, [passthrough.command], passthrough),
        target('bindfs', bindfsDir, true, [bindfs.command], bindfs),
        target('direct', source, false, ['(the source directory itself)']),
      ],
    }
  },
}
