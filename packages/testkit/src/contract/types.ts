import type { BackendDescriptor, InodeOperations, MountOptions } from '@fusekit/core'
import type { Capability } from '../cases/index.js'
import type { ContractFs } from './contract-fs.js'

/**
 * One check of the backend's contract, run on its operations without the kernel: plain data, like
 * the POSIX cases, with the same capabilities.
 */
export interface ContractCase {
  name: string
  needs?: readonly Capability[]
  unless?: readonly Capability[]
  /**
   * `dir`: on a writable backend a fresh directory ('/<slug>', mode 0777), on a read-only one
   * '/' (which shows the sample tree).
   */
  run(dir: string, tools: ContractTools): Promise<void>
}

export interface ContractTools {
  readonly capabilities: ReadonlySet<Capability>
  readonly descriptor: BackendDescriptor
  /** The backend on the inode layer (a path backend through core's bridge): for node-level checks. */
  readonly inodes: InodeOperations
  /** The mount options it gets by default. */
  readonly mountOptions: MountOptions
  /** The filesystem as the test process's user calls it. */
  readonly fs: ContractFs
  /** Where the sample tree is: written into `dir` through the operations on a writable backend, '/' on a read-only one. */
  sample(dir: string): Promise<string>
}
