export { startMount, cleanupMounts, type MountProcess, type StartMountOptions } from './mount-process.js'
export { cliPath, runCli, type CliResult, type RunCliOptions } from './cli-process.js'
export { assertFuseAvailable } from './fuse-available.js'
export { describePosixSuite, type PosixCapabilities, type PosixSuiteSetup } from './posix-suite.js'
export { useMount, type SuiteMountSetup } from './posix-suite-mount.js'
export { eventually, expectErrno, run, runFailing, sha256, type CommandResult, type FailedCommand } from './posix-suite-tools.js'
export {
  posixCases, allCapabilities, capabilityDocs, prepareCaseTools, runPosixCase, runPosixCases, skipReason, unmetCapabilities, caseSlug, caseAssertions, ensureTestUsers,
  assertAfter, assertErrno, assertMode, assertOwner, assertTime, timeAtPrecision,
  type Capability, type Caller, type CaseTools, type ChildKit, type ToolResult, type Errno, type PosixCase, type PreparedCaseTools, type CaseResult, type StatResult,
  type TestGroups, type TestUser, type TestUsers, type TimeSpec,
} from './cases/index.js'
export { describeCases, describeCasesOnMount, type DescribeCasesOptions } from './cases/vitest.js'
export * from './cases/constants.js'
