import { describePosixSuite } from '@fusekit/testkit'
import { sourceMountSetup } from './helpers.js'

/** The shared POSIX suite over a fresh source directory, through one driver. */
export function describePassthroughSuite(driver: 'fuse-native' | 'lowlevel'): void {
  describePosixSuite(`passthrough (${driver} driver)`, {
    ...sourceMountSetup(['--driver', driver]),
    // fuse-native carries times as milliseconds.
    timePrecision: driver === 'lowlevel' ? 'nanosecond' : 'millisecond',
  })
}
