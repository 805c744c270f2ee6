import { expect } from 'vitest'

/** Expects a syscall to fail with exactly this errno code (vitest). */
export async function expectErrno(operation: Promise<unknown>, code: string): Promise<void> {
  await expect(operation).rejects.toMatchObject({ code })
}
