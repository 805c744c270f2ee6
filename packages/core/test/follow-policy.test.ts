import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// The rules that place Node's thread (native/follow-policy.c) have no system calls in them: the
// cases (a table in C, fixtures/follow-policy-cases.c) run against them compiled with gcc, as
// the addon is built.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'fusekit-follow-policy-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('where --follow-callers pins the thread (native/follow-policy.c)', () => {
  it('follows a lone caller, leaves callers on several vCPUs and bulk transfers free, and follows wake-ups while requests sleep', () => {
    const program = join(work, 'follow-policy-cases')
    const sources = ['test/fixtures/follow-policy-cases.c', 'native/follow-policy.c']
    const gcc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', program, ...sources], { cwd: PACKAGE, encoding: 'utf8' })
    if (gcc.error) throw new Error('gcc is missing: apt-get install gcc')
    expect(gcc.stderr).toBe('')
    expect(gcc.status).toBe(0)
    const cases = spawnSync(program, { encoding: 'utf8' })
    expect(cases.stdout).toBe('15 cases passed\n')
    expect(cases.status).toBe(0)
  })
})
