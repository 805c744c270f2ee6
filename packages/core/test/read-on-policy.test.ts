import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// When Node's thread reads the next request at once (native/read-on-policy.c) has no system
// calls in it: the cases (a table in C, fixtures/read-on-cases.c) run against it compiled with
// gcc, as the addon is built.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'fusekit-read-on-policy-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('when the next request is read at once (native/read-on-policy.c)', () => {
  it('reads on after answers while that finds requests, backs off after empty reads, and gives the event loop its turn', () => {
    const program = join(work, 'read-on-cases')
    const sources = ['test/fixtures/read-on-cases.c', 'native/read-on-policy.c']
    const gcc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', program, ...sources], { cwd: PACKAGE, encoding: 'utf8' })
    if (gcc.error) throw new Error('gcc is missing: apt-get install gcc')
    expect(gcc.stderr).toBe('')
    expect(gcc.status).toBe(0)
    const cases = spawnSync(program, { encoding: 'utf8' })
    expect(cases.stdout).toBe('6 cases passed\n')
    expect(cases.status).toBe(0)
  })
})
