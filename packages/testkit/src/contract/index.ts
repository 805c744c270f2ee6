/** The in-process tier: contract cases run on a backend's operations, without the kernel. */
export { contractCases } from './table.js'
export { prepareContract, runContractCase, runContractCases, type PreparedContract } from './runner.js'
export { instantiateBackend, type BackendInstance } from './backend-instance.js'
export { ContractFs } from './contract-fs.js'
export type { ContractCase, ContractTools } from './types.js'
