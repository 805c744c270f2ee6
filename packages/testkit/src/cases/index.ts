/**
 * The POSIX case table and what runs it. See README.md in this directory.
 */
export { posixCases } from './table.js'
export { allCapabilities, capabilityDocs, type Capability, type Caller, type CaseTools, type ChildKit, type ToolResult, type Errno, type PosixCase, type StatResult, type TestGroups, type TestUser, type TestUsers, type TimeSpec } from './types.js'
export { prepareCaseTools, type PreparedCaseTools, runPosixCase, runPosixCases, type CaseResult, skipReason, unmetCapabilities, caseSlug, caseAssertions } from './runner.js'
export { ensureTestUsers } from './users.js'
export { assertAfter, assertErrno, assertMode, assertOwner, assertTime, timeAtPrecision } from './assertions.js'
export * from './constants.js'
