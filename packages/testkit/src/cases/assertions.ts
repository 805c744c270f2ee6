import assert from 'node:assert/strict'
import type { Errno, StatResult } from './types.js'

/** Runner-agnostic assertions (node:assert/strict) with messages that show modes in octal. */

const octal = (mode: number) => `0${mode.toString(8)}`

/** The whole st_mode, type bits included, e.g. 0o100644 for a regular file rw-r--r--. */
export function assertMode(actual: StatResult | number, expected: number, what: string): void {
  const mode = typeof actual === 'number' ? actual : actual.mode
  if (mode !== expected) assert.fail(`${what}: mode ${octal(mode)}, expected ${octal(expected)}`)
}

export function assertOwner(actual: StatResult, uid: number, gid: number, what: string): void {
  assert.deepEqual({ uid: actual.uid, gid: actual.gid }, { uid, gid }, `${what}: owner`)
}

/** An errno code from ChildKit.errno or a CaseTools helper ('ok' for success). */
export function assertErrno(actual: Errno | number, expected: Errno, what: string): void {
  assert.equal(actual, expected, `${what}: expected ${expected}, got ${actual}`)
}

/** Precision of the mount's times: nanoseconds, or milliseconds without nanosecondTimes. */
export function timeAtPrecision(ns: bigint, nanosecond: boolean): bigint {
  return nanosecond ? ns : ns - (ns % 1_000_000n)
}

/** A time as the mount keeps it: exact, or cut to the millisecond when `nanosecond` is false. */
export function assertTime(actual: bigint, set: bigint, nanosecond: boolean, what: string): void {
  assert.equal(actual, timeAtPrecision(set, nanosecond), `${what}: ${actual} ns, set ${set} ns (${nanosecond ? 'nanosecond' : 'millisecond'} precision)`)
}

/** `later` is strictly after `earlier` (both nanoseconds). */
export function assertAfter(later: bigint, earlier: bigint, what: string): void {
  assert.ok(later > earlier, `${what}: ${later} ns is not after ${earlier} ns`)
}

export { assert }
