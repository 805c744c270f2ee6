import { describe, expect, it } from 'vitest'
import { allCapabilities, capabilityDocs, caseSlug, posixCases, skipReason, type Capability } from '../src/cases/index.js'

describe('the POSIX case table', () => {
  it('has unique names, and unique directory names derived from them', () => {
    const names = posixCases.map((testCase) => testCase.name)
    expect(new Set(names).size).toBe(names.length)
    const slugs = posixCases.map(caseSlug)
    expect(new Set(slugs).size).toBe(slugs.length)
  })

  it('names only documented capabilities, never one both needed and excluded', () => {
    for (const testCase of posixCases) {
      for (const capability of [...(testCase.needs ?? []), ...(testCase.unless ?? [])]) {
        expect(Object.keys(capabilityDocs), `${testCase.name}: ${capability}`).toContain(capability)
      }
      expect((testCase.needs ?? []).filter((c) => testCase.unless?.includes(c)), testCase.name).toEqual([])
    }
  })

  it('skips with the reason: what is missing, or what the mount has that the case checks the absence of', () => {
    const zeroRange = posixCases.find((testCase) => testCase.needs?.includes('zeroRange'))
    const withoutZeroRange = posixCases.find((testCase) => testCase.unless?.includes('zeroRange'))
    const tmpfs = new Set<Capability>(allCapabilities.filter((c) => c !== 'zeroRange'))
    expect(zeroRange && skipReason(zeroRange, tmpfs)).toBe('needs zeroRange')
    expect(withoutZeroRange && skipReason(withoutZeroRange, tmpfs)).toBeUndefined()
    expect(withoutZeroRange && skipReason(withoutZeroRange, new Set(allCapabilities))).toBe('checks a mount without zeroRange')
    expect(zeroRange && skipReason(zeroRange, new Set())).toBe('needs fallocate, zeroRange')
    // On tmpfs only the ZERO_RANGE case is skipped; with nothing, only the cases needing nothing run.
    expect(posixCases.filter((testCase) => skipReason(testCase, tmpfs)).map((testCase) => testCase.name)).toEqual([zeroRange?.name])
    expect(posixCases.filter((testCase) => !skipReason(testCase, new Set())).length).toBeGreaterThan(0)
  })
})
