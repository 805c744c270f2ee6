import { describe, expect, it } from 'vitest'
import { runCaseTable } from './c-cases.js'

describe('when helper threads past the first stop reading (native/helper-backlog.c)', () => {
  it('parks them while the first finds requests waiting after short answers, and wakes them when its reads sleep or its answers take long', () => {
    expect(runCaseTable('helper-backlog-cases', ['native/helper-backlog.c'])).toEqual({ stdout: '9 cases passed\n', status: 0 })
  })
})
