import { accessCases } from './access.js'
import { chownCases } from './chown.js'
import { copyCases } from './copy.js'
import { dataCases } from './data.js'
import { linkCases } from './links.js'
import { metadataCases } from './metadata.js'
import { modeCases } from './modes.js'
import { nameCases } from './names.js'
import { namespaceCases } from './namespace.js'
import { ownershipCases } from './ownership.js'
import { privilegeCases } from './privileges.js'
import { readingCases } from './reading.js'
import { renameCases } from './rename.js'
import { spaceCases } from './space.js'
import { timeCases } from './times.js'
import { treeCases } from './tree.js'
import { xattrCases } from './xattrs.js'
import type { PosixCase } from './types.js'

/** Cases that make things, each in a fresh directory: they need a writable mount. */
const changing: readonly PosixCase[] = [
  ...dataCases, ...namespaceCases, ...nameCases, ...renameCases, ...metadataCases, ...treeCases,
  ...ownershipCases, ...modeCases, ...chownCases, ...privilegeCases, ...timeCases, ...accessCases, ...linkCases, ...spaceCases, ...copyCases, ...xattrCases,
]

/** Every case, in a stable order. Names are unique. */
export const posixCases: readonly PosixCase[] = [
  ...readingCases,
  ...changing.map((testCase) => ({ ...testCase, needs: ['writable' as const, ...(testCase.needs ?? [])] })),
]
