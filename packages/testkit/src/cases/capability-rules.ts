import type { Capability } from './types.js'

/** Capabilities that only make sense with others (see capabilityDocs). */
export const capabilityNeeds: Readonly<Partial<Record<Capability, readonly Capability[]>>> = {
  otherUsers: ['chown'],
  coherentLinks: ['hardlinks'],
  zeroRange: ['fallocate'],
  nanosecondTimes: ['subsecondTimes'],
}

/** What is wrong with a set of capabilities, one line per problem: 'otherUsers needs chown'. */
export function capabilityProblems(capabilities: ReadonlySet<Capability>): string[] {
  return [...capabilities].flatMap((capability) =>
    (capabilityNeeds[capability] ?? []).filter((needed) => !capabilities.has(needed)).map((needed) => `${capability} needs ${needed}`),
  )
}

/** How finely the mount keeps file times. */
export type TimePrecision = 'nanosecond' | 'millisecond' | 'second'

export function timePrecision(capabilities: ReadonlySet<Capability>): TimePrecision {
  if (!capabilities.has('subsecondTimes')) return 'second'
  return capabilities.has('nanosecondTimes') ? 'nanosecond' : 'millisecond'
}
