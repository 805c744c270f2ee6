import { Errno, FsError, type ErrnoName } from '@fusekit/core'
import { expect } from 'vitest'

/**
 * Expects a backend operation called directly to fail with exactly this errno (vitest): thrown,
 * rejected, or returned (lookup and getxattr may return their FsError). Returns the FsError.
 */
export async function expectFsError(call: () => unknown, code: ErrnoName): Promise<FsError> {
  const error = await (async () => call())().then(
    (answer: unknown) => (answer instanceof FsError ? answer : undefined),
    (thrown: unknown) => thrown,
  )
  expect(error, `expected ${code}`).toBeInstanceOf(FsError)
  expect((error as FsError).code).toBe(code)
  expect((error as FsError).errno).toBe(Errno[code])
  return error as FsError
}
