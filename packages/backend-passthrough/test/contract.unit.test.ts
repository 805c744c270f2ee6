import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { allCapabilities, describeBackendInProcess } from '@fusekit/testkit'
import { passthroughBackend } from '../src/index.js'

// The kit's contract cases on the backend's own operations over a fresh source, without the kernel.
let source: string | undefined
describeBackendInProcess(passthroughBackend, {
  options: async () => ({ source: (source = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-contract-'))) }),
  teardown: async () => {
    if (source) await rm(source, { recursive: true, force: true })
  },
  capabilities: allCapabilities,
  unsupported: 'omit',
})
