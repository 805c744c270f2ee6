import { describe, expect, it } from 'vitest'
import { allCapabilities, capabilityDocs, capabilityProblems, caseSlug, hostileNames, posixCases, sampleTree, skipReason, timeAtPrecision, type Capability } from '../src/cases/index.js'

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
    const readOnly = posixCases.find((testCase) => testCase.unless?.includes('writable'))
    const tmpfs = new Set<Capability>(allCapabilities.filter((c) => c !== 'zeroRange'))
    expect(zeroRange && skipReason(zeroRange, tmpfs)).toBe('needs zeroRange')
    expect(withoutZeroRange && skipReason(withoutZeroRange, tmpfs)).toBeUndefined()
    expect(withoutZeroRange && skipReason(withoutZeroRange, new Set(allCapabilities))).toBe('checks a mount without zeroRange')
    expect(zeroRange && skipReason(zeroRange, new Set())).toBe('needs writable, fallocate, zeroRange')
    expect(readOnly && skipReason(readOnly, tmpfs)).toBe('checks a mount without writable')
    // On tmpfs only the ZERO_RANGE case and those checking the refusals of what tmpfs does are skipped.
    const skipped = posixCases.filter((testCase) => skipReason(testCase, tmpfs))
    expect(skipped.filter((testCase) => !testCase.unless).map((testCase) => testCase.name)).toEqual([zeroRange?.name])
    expect(skipped.filter((testCase) => testCase.unless).map((testCase) => testCase.unless)).toEqual([['writable'], ['hardlinks'], ['symlinks'], ['chown'], ['xattrs']])
    // A mount that can do nothing more than read still has cases to run.
    expect(posixCases.filter((testCase) => !skipReason(testCase, new Set())).length).toBeGreaterThan(3)
  })

  it('makes every case that changes the tree need a writable mount', () => {
    const reading = posixCases.filter((testCase) => !testCase.needs?.includes('writable')).map((testCase) => testCase.name)
    expect(reading.every((name) => /sample tree|read|lookups|statfs/.test(name)), reading.join('\n')).toBe(true)
  })

  it('has a case for every group of hostile names, and the sample tree holds every name', () => {
    for (const { what, names } of hostileNames) {
      expect(posixCases.some((testCase) => testCase.name.includes(`names with ${what}`)), what).toBe(true)
      for (const name of names) expect(sampleTree.some((entry) => entry.path === `names/${name}`), JSON.stringify(name)).toBe(true)
    }
    expect(new Set(hostileNames.flatMap(({ names }) => names)).size).toBe(hostileNames.flatMap(({ names }) => names).length)
    expect(Buffer.byteLength(hostileNames.flatMap(({ names }) => names).find((n) => n.startsWith('日'))!)).toBe(255)
  })
})

describe('capabilities', () => {
  it('are refused when one is claimed without what it rests on', () => {
    expect(capabilityProblems(new Set(['otherUsers', 'coherentLinks', 'nanosecondTimes', 'zeroRange']))).toEqual([
      'otherUsers needs chown', 'coherentLinks needs hardlinks', 'nanosecondTimes needs subsecondTimes', 'zeroRange needs fallocate',
    ])
    expect(capabilityProblems(new Set(allCapabilities))).toEqual([])
  })

  it('set the precision times are compared at, also before 1970', () => {
    const t = 1_600_000_000_123_456_789n
    expect(timeAtPrecision(t, new Set(['subsecondTimes', 'nanosecondTimes']))).toBe(t)
    expect(timeAtPrecision(t, new Set(['subsecondTimes']))).toBe(1_600_000_000_123_000_000n)
    expect(timeAtPrecision(t, new Set())).toBe(1_600_000_000_000_000_000n)
    expect(timeAtPrecision(-1n, new Set())).toBe(-1_000_000_000n)
  })
})
