import { afterAll, beforeAll, describe, it } from 'vitest'
import { posixCases } from './table.js'
import { prepareCaseTools, runPosixCase, skipReason, type PreparedCaseTools } from './runner.js'
import type { Capability, PosixCase } from './types.js'

/**
 * Registers one vitest test per case, run against `mountDir` (a path, or a function giving it
 * once the mount is up, for mounts made in a beforeAll registered before this call). A case the
 * mount cannot run is registered with it.skip and the reason in its title. Needs root.
 */
export function describeCases(name: string, mountDir: string | (() => string), capabilities: Iterable<Capability>, cases: readonly PosixCase[] = posixCases): void {
  const have = new Set(capabilities)
  const dirOf = typeof mountDir === 'string' ? () => mountDir : mountDir
  describe(name, () => {
    let tools: PreparedCaseTools | undefined
    beforeAll(async () => {
      tools = await prepareCaseTools(dirOf(), have)
    })
    afterAll(() => tools?.dispose())
    for (const testCase of cases) {
      const reason = skipReason(testCase, have)
      if (reason) {
        it.skip(`${testCase.name} (skipped: ${reason})`, () => {})
        continue
      }
      it(testCase.name, async () => {
        if (!tools) throw new Error('the case tools are not ready: see the failure in beforeAll')
        await runPosixCase(testCase, dirOf(), tools)
      })
    }
  })
}
