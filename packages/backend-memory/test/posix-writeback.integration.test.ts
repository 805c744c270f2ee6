import { allCapabilities, describeBackend } from '@fusekit/testkit'
import { memoryBackend } from '../src/index.js'

// The whole POSIX case table with the kernel caching writes (FUSE_WRITEBACK_CACHE): the kernel
// then keeps size and mtime itself and sends them later, as the writer, in SETATTR and WRITE.
describeBackend(memoryBackend, {
  capabilities: allCapabilities,
  mountOptions: { writebackCache: true },
  unsupported: 'omit',
  title: 'memory (lowlevel driver, writeback cache)',
})

// The same with the backend checking permissions itself: the kernel's own updates of times and
// size must not meet checks meant for the caller's setattr.
describeBackend(memoryBackend, {
  capabilities: allCapabilities,
  mountOptions: { writebackCache: true, defaultPermissions: false },
  unsupported: 'omit',
  title: 'memory (lowlevel driver, writeback cache, the backend checking permissions)',
})
