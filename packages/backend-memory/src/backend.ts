import { defineBackend } from '@fusekit/core'
import { MemoryFileSystem } from './memory-filesystem.js'
import { memoryOptions } from './options.js'

/** `fusekit mount memory <mountpoint> [--size 1G]` */
export const memoryBackend = defineBackend({
  apiVersion: 2,
  layer: 'inode',
  name: 'memory',
  description: 'A POSIX filesystem held in RAM, like tmpfs; its contents go away at unmount',
  options: memoryOptions,
  mountDefaults: {
    // Every change goes through the mount, so lookups, attributes and failed lookups can be
    // cached for a second. File pages are kept across opens unless size or mtime changed
    // (auto_cache), not unconditionally (kernel_cache): through fuse-native, libfuse 2 gives each
    // hard-link name its own kernel inode, and with kernel_cache a write through one name left
    // the other's pages stale for good.
    autoCache: true,
    attrTimeout: 1,
    entryTimeout: 1,
    negativeTimeout: 1,
    // The kernel checks permissions from the mode bits; without them (--no-default-permissions)
    // the backend checks them itself, for the caller each request names.
    defaultPermissions: true,
  },
  create: ({ options, logger, mountOptions }) => new MemoryFileSystem(options, logger, mountOptions),
})
