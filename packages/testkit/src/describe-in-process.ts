import { afterAll, beforeAll, describe, it } from 'vitest'
import { backendLabel, loadDescriptor, resolveOptions, type BackendUnderTest, type OptionsSource } from './backend-under-test.js'
import { skipReason, type Capability } from './cases/index.js'
import { contractCases, prepareContract, runContractCase, type PreparedContract } from './contract/index.js'

export interface DescribeInProcessOptions {
  /** The backend's options (schema keys), or a function giving them when the block starts. */
  options?: OptionsSource
  /** What the backend can do (see capabilityDocs); cases needing more are skipped, saying why. */
  capabilities: Iterable<Capability>
  /** Runs after the backend was destroyed, to remove what `options` made. */
  teardown?: () => Promise<void> | void
  /** A case the backend cannot run: 'skip' (default) or 'omit' (fusekit's own suites). */
  unsupported?: 'skip' | 'omit'
  title?: string
}

/**
 * One vitest block that creates the backend in this process (a descriptor, or the module at a
 * URL or path) and runs the contract cases on its operations, without the kernel: fast, no root
 * or FUSE needed. A path backend is driven through core's bridge to the inode layer, as the
 * low-level driver drives it.
 */
export function describeBackendInProcess(backend: BackendUnderTest, setup: DescribeInProcessOptions): void {
  const capabilities = new Set(setup.capabilities)
  describe(setup.title ?? `${backendLabel(backend)} in process (its operations, without the kernel)`, () => {
    let prepared: PreparedContract | undefined
    beforeAll(async () => {
      prepared = await prepareContract(await loadDescriptor(backend), await resolveOptions(setup.options), capabilities)
    })
    afterAll(async () => {
      try {
        await prepared?.close()
      } finally {
        await setup.teardown?.()
      }
    })
    for (const testCase of contractCases) {
      const reason = skipReason(testCase, capabilities)
      if (reason) {
        if (setup.unsupported !== 'omit') it.skip(`${testCase.name} (skipped: ${reason})`, () => {})
        continue
      }
      it(testCase.name, async () => {
        if (!prepared) throw new Error('the backend was not created: see the failure in beforeAll')
        await runContractCase(testCase, prepared)
      })
    }
  })
}
