/**
 * The POSIX case table and what runs it. See README.md in this directory.
 */
export { posixCases } from './table.js'
export { allCapabilities, capabilityDocs, type Capability, type Caller, type CaseTools, type ChildKit, type ToolResult, type Errno, type PosixCase, type StatResult, type TestGroups, type TestUser, type TestUsers, type TimeSpec } from './types.js'
export { capabilityNeeds, capabilityProblems, timePrecision, type TimePrecision } from './capability-rules.js'
export { prepareCaseTools, type PreparedCaseTools, runCaseList, runPosixCase, runPosixCases, type CaseResult, skipReason, unmetCapabilities, caseSlug, caseAssertions } from './runner.js'
export { ensureTestUsers } from './users.js'
export { setprivArgs } from './child.js'
export { assertAfter, assertErrno, assertErrnoIn, assertMode, assertOwner, assertSameBytes, assertTime, errnoOf, timeAtPrecision } from './assertions.js'
export { sampleTree, sampleEntries, sampleFile, samplePattern, writeSampleTree, checkSampleTree, nodeTreeReader, type SampleEntry, type TreeReader, type TreeWriter } from './sample-tree.js'
export { hostileNames } from './hostile-names.js'
export { eventually, freshStat, run, runFailing, seededRandom, sha256, type CommandResult, type FailedCommand, type FreshStat } from './shell.js'
export * from './constants.js'
