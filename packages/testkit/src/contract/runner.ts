import { CallerContext, type BackendDescriptor } from '@fusekit/core'
import { capabilityProblems, caseSlug, runCaseList, writeSampleTree, type CaseResult, type Capability } from '../cases/index.js'
import { instantiateBackend, type BackendInstance } from './backend-instance.js'
import { ContractFs } from './contract-fs.js'
import { contractTreeWriter } from './sample-io.js'
import { contractCases } from './table.js'
import type { ContractCase, ContractTools } from './types.js'

/** A backend instance with the tools its contract cases get; `close` destroys it. */
export interface PreparedContract {
  readonly tools: ContractTools
  close(): Promise<void>
}

/** Creates the backend from its descriptor and options (as a mount would), for the contract cases. */
export async function prepareContract(descriptor: BackendDescriptor, options: Record<string, unknown>, capabilities: Iterable<Capability>): Promise<PreparedContract> {
  const have = new Set(capabilities)
  const problems = capabilityProblems(have)
  if (problems.length > 0) throw new Error(`inconsistent capabilities: ${problems.join('; ')}`)
  const instance: BackendInstance = await instantiateBackend(descriptor, options)
  const fs = new ContractFs(instance.paths, new CallerContext(process.getuid?.() ?? 0, process.getgid?.() ?? 0, process.pid))
  const tools: ContractTools = {
    capabilities: have,
    descriptor,
    inodes: instance.inodes,
    mountOptions: instance.mountOptions,
    fs,
    sample: async (dir) => {
      if (!have.has('writable')) return '/'
      await writeSampleTree(dir, have, contractTreeWriter(fs))
      return dir
    },
  }
  return { tools, close: () => instance.close() }
}

/** Runs one case: on a writable backend in a fresh directory '/<slug>' (mode 0777), on a read-only one at '/'. */
export async function runContractCase(testCase: ContractCase, { tools }: PreparedContract): Promise<void> {
  if (!tools.capabilities.has('writable')) return testCase.run('/', tools)
  const dir = `/${caseSlug(testCase)}`
  await tools.fs.mkdir(dir, 0o777)
  await tools.fs.chmod(dir, 0o777)
  await testCase.run(dir, tools)
}

/**
 * Runs the contract cases one after the other on a fresh instance of the backend, without any
 * test framework; `onResult` sees each result as it comes.
 */
export async function runContractCases(
  descriptor: BackendDescriptor,
  setup: { options?: Record<string, unknown>; capabilities: Iterable<Capability>; cases?: readonly ContractCase[]; onResult?: (result: CaseResult) => void },
): Promise<CaseResult[]> {
  const prepared = await prepareContract(descriptor, setup.options ?? {}, setup.capabilities)
  try {
    return await runCaseList(setup.cases ?? contractCases, prepared.tools.capabilities, (testCase) => runContractCase(testCase, prepared), setup.onResult)
  } finally {
    await prepared.close()
  }
}
