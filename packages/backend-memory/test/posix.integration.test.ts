import { allCapabilities, describeBackend } from '@fusekit/testkit'
import { memoryBackend } from '../src/index.js'

// The whole POSIX case table, as tmpfs answers it (and FALLOC_FL_ZERO_RANGE besides), run from
// other processes and as other users; through fuse-native, what libfuse 2 cannot carry is left out.
describeBackend(memoryBackend, { capabilities: allCapabilities, unsupported: 'omit', title: 'memory (lowlevel driver, kernel permission checks)' })

// Without default_permissions the backend checks permissions itself.
describeBackend(memoryBackend, {
  capabilities: allCapabilities,
  mountOptions: { defaultPermissions: false },
  unsupported: 'omit',
  title: 'memory (lowlevel driver, the backend checking permissions)',
})

// Private to root (no other users let in): the kernel is asked for no checks, and the backend's
// own find nothing to refuse root but what the cases expect of root.
for (const driver of ['lowlevel', 'fuse-native'] as const) {
  describeBackend(memoryBackend, {
    capabilities: allCapabilities.filter((c) => c !== 'otherUsers'),
    driver,
    unsupported: 'omit',
    title: `memory (${driver} driver, private to root: no kernel permission checks)`,
  })
}

describeBackend(memoryBackend, { capabilities: allCapabilities, driver: 'fuse-native', unsupported: 'omit', title: 'memory (fuse-native driver)' })
