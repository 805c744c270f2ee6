import { afterAll, beforeAll, describe, it } from 'vitest'
import { prepareCaseTools, runPosixCase, skipReason, type PreparedCaseTools } from './runner.js'
import { posixCases } from './table.js'
import type { Capability, PosixCase } from './types.js'

export interface DescribeCasesOptions {
  /** The cases to register (default: the whole table). */
  cases?: readonly PosixCase[]
  /**
   * What to do with a case the mount cannot run: 'skip' (default) registers it with it.skip and
   * the reason in its title; 'omit' leaves it out. Note that scripts/test.mjs (`pnpm test`)
   * counts skipped tests as failed.
   */
  unsupported?: 'skip' | 'omit'
  /** Adds to a skip reason (say, which capabilities the driver took away). */
  explainSkip?: (testCase: PosixCase, reason: string) => string
}

/**
 * Registers one vitest test per case, run against `mountDir` (a path, or a function giving it
 * once the mount is up, for mounts made in a beforeAll registered before this call). Needs root.
 */
export function describeCases(name: string, mountDir: string | (() => string), capabilities: Iterable<Capability>, options: DescribeCasesOptions = {}): void {
  const have = new Set(capabilities)
  const dirOf = typeof mountDir === 'string' ? () => mountDir : mountDir
  describe(name, () => {
    let tools: PreparedCaseTools | undefined
    beforeAll(async () => {
      tools = await prepareCaseTools(dirOf(), have)
    })
    afterAll(() => tools?.dispose())
    for (const testCase of options.cases ?? posixCases) {
      const reason = skipReason(testCase, have)
      if (reason) {
        if (options.unsupported !== 'omit') it.skip(`${testCase.name} (skipped: ${options.explainSkip?.(testCase, reason) ?? reason})`, () => {})
        continue
      }
      it(testCase.name, async () => {
        if (!tools) throw new Error('the case tools are not ready: see the failure in beforeAll')
        await runPosixCase(testCase, dirOf(), tools)
      })
    }
  })
}
