import { describe, expect, it } from 'vitest'
import { runCaseTable } from './c-cases.js'

describe('the READDIR that finds a listing’s end, answered in the addon (native/listing-ends.c)', () => {
  it('answers it once where JavaScript marked the end, and drops marks made stale by a new entry, another read, a release or a forget', () => {
    expect(runCaseTable('listing-ends-cases', ['native/listing-ends.c'])).toEqual({ stdout: '14 cases passed\n', status: 0 })
  })
})
