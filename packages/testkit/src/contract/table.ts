import { directoryCases } from './directory-cases.js'
import { fileCases } from './file-cases.js'
import { linkCases } from './link-cases.js'
import { readingCases } from './reading-cases.js'
import { renameCases } from './rename-cases.js'
import { xattrCases } from './xattr-cases.js'
import type { ContractCase } from './types.js'

/** Cases that make things, each in a fresh directory: they need a writable backend. */
const changing: readonly ContractCase[] = [...fileCases, ...directoryCases, ...renameCases, ...linkCases, ...xattrCases]

/** Every contract case of the in-process tier, in a stable order. Names are unique. */
export const contractCases: readonly ContractCase[] = [
  ...readingCases,
  ...changing.map((testCase) => ({ ...testCase, needs: ['writable' as const, ...(testCase.needs ?? [])] })),
]
