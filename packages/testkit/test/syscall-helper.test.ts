import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildSyscallHelper, prebuiltHelper } from '../src/cases/syscall-helper.js'

describe('the syscall helper', () => {
  it('is shipped built for this platform, so that the kit needs no compiler here', () => {
    expect(existsSync(prebuiltHelper), `${prebuiltHelper}: run the package build`).toBe(true)
  })

  it('is put where every user can run it, answers in its format, and is removed by dispose', async () => {
    const helper = await buildSyscallHelper()
    try {
      expect(spawnSync(helper.path, ['seek', '/proc/self/status', 'hole', '0'], { encoding: 'utf8' }).stdout).toMatch(/^(ok \d+|err call \d+)\n$/)
      expect(spawnSync(helper.path, ['no-such-call', '/'], { encoding: 'utf8' }).status).toBe(2)
    } finally {
      helper.dispose()
    }
    expect(existsSync(helper.path)).toBe(false)
  })
})
