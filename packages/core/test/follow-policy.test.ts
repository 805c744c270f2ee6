import { describe, expect, it } from 'vitest'
import { runCaseTable } from './c-cases.js'

describe('where --follow-callers pins the thread (native/follow-policy.c)', () => {
  it('follows a lone caller, times pinned against free while requests sleep, and leaves callers on several vCPUs and bulk transfers free', () => {
    expect(runCaseTable('follow-policy-cases', ['native/follow-policy.c'])).toEqual({ stdout: '13 cases passed\n', status: 0 })
  })
})
