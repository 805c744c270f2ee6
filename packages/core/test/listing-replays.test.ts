import { describe, expect, it } from 'vitest'
import { runCaseTable } from './c-cases.js'

describe('a whole listing answering the next READDIRPLUS of its directory in the addon (native/listing-replays.c)', () => {
  it('answers it with node ids 0 while fresh, and drops it when the directory may have changed, when it is old, or when it does not fit', () => {
    expect(runCaseTable('listing-replays-cases', ['native/listing-replays.c'])).toEqual({ stdout: '16 cases passed\n', status: 0 })
  })
})
