import { accessCases } from './access.js'
import { chownCases } from './chown.js'
import { copyCases } from './copy.js'
import { linkCases } from './links.js'
import { modeCases } from './modes.js'
import { ownershipCases } from './ownership.js'
import { privilegeCases } from './privileges.js'
import { spaceCases } from './space.js'
import { timeCases } from './times.js'
import { xattrCases } from './xattrs.js'
import type { PosixCase } from './types.js'

/** Every case, in a stable order. Names are unique. */
export const posixCases: readonly PosixCase[] = [...ownershipCases, ...modeCases, ...chownCases, ...privilegeCases, ...timeCases, ...accessCases, ...linkCases, ...spaceCases, ...copyCases, ...xattrCases]
