import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describePosixSuite } from '@fusekit/testkit'

/** The shared POSIX suite over a fresh source directory, through one driver. */
export function describePassthroughSuite(driver: 'fuse-native' | 'lowlevel'): void {
  let source: string | undefined
  describePosixSuite(`passthrough (${driver} driver)`, {
    backend: 'passthrough',
    args: async () => {
      source = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-source-'))
      return ['--source', source, '--driver', driver]
    },
    // fuse-native carries times as milliseconds.
    timePrecision: driver === 'lowlevel' ? 'nanosecond' : 'millisecond',
    teardown: async () => {
      if (source) await rm(source, { recursive: true, force: true })
    },
  })
}
