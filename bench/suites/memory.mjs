// The memory backend beside tmpfs (the kernel's own memory filesystem, no FUSE at all) and bindfs
// over tmpfs (a C FUSE filesystem over the same kind of storage): the reference.
import { mkdirSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { fusekitDefaults } from '../lib/fuse-options.mjs'
import { backendSpec, mountBindfs, mountFusekit, mountTmpfs, scratchDir, servedBy } from '../lib/mounts.mjs'
import { sequential, smallFiles } from '../lib/phases.mjs'
import { scale } from '../lib/scale.mjs'

export const memorySuite = {
  name: 'memory',
  subject: 'memory',
  references: ['bindfs', 'tmpfs'],
  /** The ceiling on what an empty file costs the mount process. */
  bytesPerFileTarget: 400,
  groups: (settings) => [
    sequential({ sizeMiB: settings.sizeMiB }),
    smallFiles({ count: settings.files }),
    scale({ counts: settings.scaleFiles }),
  ],

  async mount(settings) {
    const capacity = `${Math.ceil(settings.sizeMiB / 1024) * 2 + 1}G`
    const { fuseOptions } = await fusekitDefaults('packages/backend-memory')
    const root = scratchDir(os.tmpdir(), 'fusekit-bench-')
    const dir = (name) => {
      const path = join(root, name)
      mkdirSync(path)
      return path
    }

    const memoryDir = dir('memory')
    const memory = await servedBy(() => mountFusekit(backendSpec('memory'), memoryDir, ['--size', capacity, ...settings.fusekitArgs]))
    const storage = dir('bindfs-storage')
    const storageTmpfs = mountTmpfs(storage, capacity)
    const bindfsDir = dir('bindfs')
    const bindfsOptions = { fuseOptions: [...fuseOptions, ...settings.bindfsOptions], flags: settings.bindfsFlags }
    const bindfs = await servedBy(() => mountBindfs(storage, bindfsDir, bindfsOptions))
    const tmpfsDir = dir('tmpfs')
    const tmpfs = mountTmpfs(tmpfsDir, capacity)

    return {
      fuseOptions,
      targets: [
        { name: 'memory', dir: memoryDir, fuse: true, commands: [memory.command], server: memory },
        { name: 'bindfs', dir: bindfsDir, fuse: true, commands: [storageTmpfs.command, bindfs.command], server: bindfs },
        { name: 'tmpfs', dir: tmpfsDir, fuse: false, commands: [tmpfs.command] },
      ],
    }
  },
}
