import { allCapabilities, describeBackendInProcess } from '@fusekit/testkit'
import { memoryBackend } from '../src/index.js'

// The kit's contract cases on the backend's own operations, without the kernel.
describeBackendInProcess(memoryBackend, { capabilities: allCapabilities, options: { size: '256M' }, unsupported: 'omit' })
