import { defineBackend } from '@fusekit/core'
import { MemoryFileSystem } from './memory-filesystem.js'
import { memoryOptions } from './options.js'

/** `fusekit mount memory <mountpoint> [--size 1G]` */
export const memoryBackend = defineBackend({
  apiVersion: 1,
  name: 'memory',
  description: 'A POSIX filesystem held in RAM, like tmpfs; its contents go away at unmount',
  options: memoryOptions,
  mountDefaults: {
    // Every change goes through the mount, so the kernel's own caches stay coherent: keep file
    // pages across opens and cache lookups, attributes and failed lookups for a second.
    kernelCache: true,
    attrTimeout: 1,
    entryTimeout: 1,
    negativeTimeout: 1,
    // The backend checks no permissions itself: the kernel must, from the mode bits.
    defaultPermissions: true,
  },
  create: ({ container }) => container.resolve(MemoryFileSystem),
})
