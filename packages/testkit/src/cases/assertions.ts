import assert from 'node:assert/strict'
import { timePrecision, type TimePrecision } from './capability-rules.js'
import type { Capability, Errno, StatResult } from './types.js'

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

const UNIT_NS: Record<TimePrecision, bigint> = { nanosecond: 1n, millisecond: 1_000_000n, second: 1_000_000_000n }

/** A time (nanoseconds) as a mount with these capabilities keeps it: cut to its precision. */
export function timeAtPrecision(ns: bigint, capabilities: ReadonlySet<Capability>): bigint {
  const unit = UNIT_NS[timePrecision(capabilities)]
  // Towards minus infinity, as a timespec holds times before 1970.
  return ns - (((ns % unit) + unit) % unit)
}

/** A time as the mount keeps it: exact, or cut to the millisecond or second it keeps. */
export function assertTime(actual: bigint, set: bigint, capabilities: ReadonlySet<Capability>, what: string): void {
  assert.equal(actual, timeAtPrecision(set, capabilities), `${what}: ${actual} ns, set ${set} ns (${timePrecision(capabilities)} precision)`)
}

/** `later` is strictly after `earlier` (both nanoseconds). */
export function assertAfter(later: bigint, earlier: bigint, what: string): void {
  assert.ok(later > earlier, `${what}: ${later} ns is not after ${earlier} ns`)
}

export { assert }

/** The errno code an operation fails with, or 'ok' (an error without a code is rethrown). */
export function errnoOf(operation: Promise<unknown>): Promise<Errno> {
  return operation.then(
    () => 'ok',
    (error: NodeJS.ErrnoException) => {
      if (typeof error?.code === 'string') return error.code
      throw error
    },
  )
}

/** The operation fails with one of these codes (POSIX leaves some choices to the filesystem). */
export async function assertErrnoIn(operation: Promise<unknown>, expected: readonly Errno[], what: string): Promise<void> {
  const code = await errnoOf(operation)
  assert.ok(expected.includes(code), `${what}: expected ${expected.join(' or ')}, got ${code}`)
}

/** Equal bytes; on a mismatch says where the first difference is rather than dumping both. */
export function assertSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return
  assert.equal(actual.length, expected.length, `${what}: length`)
  assert.equal(actual.findIndex((byte, i) => byte !== expected[i]), -1, `${what}: offset of the first wrong byte`)
}
