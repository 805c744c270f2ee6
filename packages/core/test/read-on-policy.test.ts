import { describe, expect, it } from 'vitest'
import { runCaseTable } from './c-cases.js'

describe('when the next request is read at once (native/read-on-policy.c)', () => {
  it('reads on after answers while that finds requests, backs off after empty reads, and gives the event loop its turn', () => {
    expect(runCaseTable('read-on-cases', ['native/read-on-policy.c'])).toEqual({ stdout: '6 cases passed\n', status: 0 })
  })
})
