import type { DirectoryRemovals, Logger, ResidentData } from '@fusekit/core'

/** A logger that drops everything: the BackendContext of a backend made in a unit test. */
export const silentLogger: Logger = { level: 'error', debug() {}, info() {}, warn() {}, error() {} }

/** ResidentData with no driver behind it (a backend made in a unit test, not mounted): nothing is answered from it. */
export const noResidentData: ResidentData = { available: false, hold() {}, holdFile() {}, release() {}, forget() {} }

/** DirectoryRemovals with no driver behind it: every name is removed by the backend. */
export const noDirectoryRemovals: DirectoryRemovals = { available: false, offer() {}, withdraw() {}, onRemoved() {}, showAttributes() {} }
