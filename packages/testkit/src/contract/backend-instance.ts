import { mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  backendMountOptions, bridgePathOperations, createBackendOperations, parseBackendOptions, pathsOverInodes,
  type BackendDescriptor, type InodeOperations, type Logger, type MountOptions, type Operations,
} from '@fusekit/core'

/** A backend made as a mount makes it, without the kernel. */
export interface BackendInstance {
  /** Its operations on the inode layer (a path backend through core's bridge, as the low-level driver sees it). */
  readonly inodes: InodeOperations
  /** Its operations on the path layer (an inode backend through core's bridge, as fuse-native sees it). */
  readonly paths: Operations
  /** The mount options it would get by default (its mountDefaults over the core's). */
  readonly mountOptions: MountOptions
  /** destroy(), as at unmount. */
  close(): Promise<void>
}

/** Validates the options with the backend's schema, creates it as a mount does, and calls init(). */
export async function instantiateBackend(descriptor: BackendDescriptor, rawOptions: Record<string, unknown>): Promise<BackendInstance> {
  const backendOptions = parseBackendOptions(descriptor, rawOptions)
  const options = backendMountOptions(descriptor)
  // Its warnings and errors show in the test output; the rest would drown them.
  const logger: Logger = {
    level: 'warn',
    debug() {},
    info() {},
    warn: (message: string) => console.warn(`${descriptor.name}: ${message}`),
    error: (message: string) => console.error(`${descriptor.name}: ${message}`),
  }
  // A directory that exists and is empty, for a backend that looks at its mountpoint.
  const mountpoint = mkdtempSync(join(tmpdir(), 'fusekit-in-process-'))
  try {
    const { operations, container } = await createBackendOperations(descriptor, { mountpoint, options, backendOptions, logger })
    // One bridge at most, as under either driver: stacked, the path bridge would lose a node's path
    // when the other bridge forgets its parent, which the kernel never does while a child is held.
    const inodes = descriptor.layer === 'inode' ? (operations as InodeOperations) : bridgePathOperations(operations as Operations)
    const paths = descriptor.layer === 'path' ? (operations as Operations) : pathsOverInodes(inodes)
    await inodes.init?.()
    return {
      inodes,
      paths,
      mountOptions: options,
      async close() {
        try {
          await inodes.destroy?.()
          await container.dispose()
        } finally {
          rmdirSync(mountpoint)
        }
      },
    }
  } catch (error) {
    rmdirSync(mountpoint)
    throw error
  }
}
