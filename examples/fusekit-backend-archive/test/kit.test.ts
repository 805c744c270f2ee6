import { describeBackend, describeBackendInProcess, type Capability } from '@fusekit/testkit'
import { afterAll } from 'vitest'
import archive from '../src/index.js'
import { removeScratch, sampleArchive } from './archives.js'

// Read-only, inode layer: hard links are one node, symlinks and modes as archived. (Times keep
// what the archive format keeps: whole seconds in ustar, nanoseconds in pax; the reading cases
// set none.)
const capabilities: Capability[] = ['symlinks', 'hardlinks', 'coherentLinks', 'execute']
const module = new URL('../dist/index.js', import.meta.url)

afterAll(removeScratch)

// The contract on the backend's own operations, over the kit's sample tree in each format that can hold it.
describeBackendInProcess(archive, { options: async () => ({ file: await sampleArchive('pax') }), capabilities, unsupported: 'omit', title: 'archive of a pax tar, in process' })
describeBackendInProcess(archive, { options: async () => ({ file: await sampleArchive('gnu') }), capabilities, unsupported: 'omit', title: 'archive of a GNU tar, in process' })

// Mounted by the CLI from the built module, on both drivers.
describeBackend(archive, { module, options: async () => ({ file: await sampleArchive('pax') }), capabilities, unsupported: 'omit' })
describeBackend(archive, { module, options: async () => ({ file: await sampleArchive('gnu') }), capabilities, driver: 'fuse-native', unsupported: 'omit' })
