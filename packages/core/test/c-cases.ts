import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))

/**
 * Native rules without system calls are tested as C: a table of cases (test/fixtures/<name>.c)
 * compiled with gcc against the rules' own sources, as the addon is built, and run. What the
 * program printed, once it compiled cleanly.
 */
export function runCaseTable(name: string, sources: readonly string[]): { stdout: string; status: number | null } {
  const work = mkdtempSync(join(tmpdir(), `fusekit-${name}-`))
  try {
    const program = join(work, name)
    const gcc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', program, `test/fixtures/${name}.c`, ...sources], { cwd: PACKAGE, encoding: 'utf8' })
    if (gcc.error) throw new Error('gcc is missing: apt-get install gcc')
    expect(gcc.stderr).toBe('')
    expect(gcc.status).toBe(0)
    const run = spawnSync(program, { encoding: 'utf8' })
    return { stdout: run.stdout, status: run.status }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
