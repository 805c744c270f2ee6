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
  // Every change goes through the mount, so lookups, attributes and failed lookups can be cached
  // for a second, and the kernel's permission checks apply (without them, --no-default-permissions,
  // the backend checks itself, for the caller each request names). A private mount made by root
  // asks for none: only root can reach it, and root passes every check that default_permissions
  // adds (executing a file with no x bit the kernel refuses either way), while asking for them
  // costs a GETATTR of the directory before each create, unlink, mkdir or rename in it (the
  // kernel drops a directory's attributes when it changes). On the low-level driver a hard
  // link is one kernel inode and the backend the only writer: the kernel keeps file pages across
  // opens. Through fuse-native each hard-link name is its own kernel inode, so pages are kept only
  // while size and mtime are unchanged (auto_cache). The writeback cache stays off by default:
  // with it (--writeback-cache, which passes the POSIX case table) a full mount answers ENOSPC at
  // close or fsync instead of at the write, and it bought nothing on create + write + close.
  mountDefaults: (driver) => ({
    attrTimeout: 1,
    entryTimeout: 1,
    negativeTimeout: 1,
    defaultPermissions: process.getuid?.() !== 0,
    ...(driver === 'lowlevel' ? { kernelCache: true } : { autoCache: true }),
  }),
  create: ({ options, logger, mountOptions }) => new MemoryFileSystem(options, logger, mountOptions),
})
