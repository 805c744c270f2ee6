import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const fixture = join(import.meta.dirname, 'fixtures/serve-probe.mjs')

let dir: string
let server: ChildProcess
let output = ''

/** Resolves once the server has printed a line matching `pattern`. */
function printed(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs)
    const check = () => {
      if (!pattern.test(output)) return
      clearTimeout(timer)
      server.stderr!.off('data', check)
      resolve()
    }
    server.stderr!.on('data', check)
    check()
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fusekit-interrupt-'))
  server = spawn(process.execPath, [fixture, dir, '--lowlevel'], { stdio: ['ignore', 'pipe', 'pipe'] })
  server.stderr!.on('data', (data: Buffer) => (output += data.toString()))
  await printed(new RegExp(`ready ${dir}`))
})

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  await rmdir(dir)
})

describe('INTERRUPT (low-level driver)', () => {
  it('aborts the signal of a request whose caller is killed, and the mount stays usable', async () => {
    // Another process blocks in readlink(2) on the mount; SIGKILL makes the kernel send INTERRUPT.
    const reader = spawn('readlink', [join(dir, 'slow')], { stdio: 'ignore' })
    await printed(new RegExp(`blocking readlink of /slow for pid ${reader.pid}`))
    const killed = new Promise((resolve) => reader.once('exit', (_code, signal) => resolve(signal)))
    reader.kill('SIGKILL')
    await printed(/readlink of \/slow aborted: EINTR/)
    expect(await killed).toBe('SIGKILL')
    expect(await readFile(join(dir, 'file'), 'utf8')).toMatch(/^probe/)
  })
})
