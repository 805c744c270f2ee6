import { allCapabilities, describeBackend } from '@fusekit/testkit'
import { memoryBackend } from '../src/index.js'

// The whole POSIX case table with READDIRPLUS in every listing buffer: each entry listed is a
// lookup the kernel gives back with FORGET, so renames, unlinks and links after a listing meet
// nodes the kernel holds from it.
describeBackend(memoryBackend, {
  capabilities: allCapabilities,
  mountOptions: { readdirplus: 'always' },
  unsupported: 'omit',
  title: 'memory (lowlevel driver, READDIRPLUS always)',
})
