import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixture, type FixtureServer } from './fixture-server.js'

let server: FixtureServer

beforeAll(async () => {
  server = await startFixture('serve-probe.mjs', ['--lowlevel'])
})

afterAll(() => server.stop())

describe('INTERRUPT (low-level driver)', () => {
  it('aborts the signal of a request whose caller is killed, and the mount stays usable', async () => {
    // Another process blocks in readlink(2) on the mount; SIGKILL makes the kernel send INTERRUPT.
    const reader = spawn('readlink', [join(server.dir, 'slow')], { stdio: 'ignore' })
    await server.printed(new RegExp(`blocking readlink of /slow for pid ${reader.pid}`))
    const killed = new Promise((resolve) => reader.once('exit', (_code, signal) => resolve(signal)))
    reader.kill('SIGKILL')
    await server.printed(/readlink of \/slow aborted: EINTR/)
    expect(await killed).toBe('SIGKILL')
    expect(await readFile(join(server.dir, 'file'), 'utf8')).toMatch(/^probe/)
  })
})
