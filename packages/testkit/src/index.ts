export { startMount, cleanupMounts, type MountProcess, type StartMountOptions } from './mount-process.js'
export { cliPath, runCli, type CliResult, type RunCliOptions } from './cli-process.js'
export { assertFuseAvailable } from './fuse-available.js'
