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

export { allCapabilities, capabilityDocs, type Capability, type Caller, type CaseTools, type ChildKit, type ToolResult, type Errno, type PosixCase, type StatResult, type TestGroups, type TestUser, type TestUsers, type TimeSpec } from './types.js'
export { prepareCaseTools, type PreparedCaseTools, runPosixCase, skipReason, unmetCapabilities, caseSlug, caseAssertions } from './runner.js'
export { ensureTestUsers } from './users.js'
export { assertAfter, assertErrno, assertMode, assertOwner, assertTime, timeAtPrecision } from './assertions.js'
export * from './constants.js'
