import { execFile } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixture, type FixtureServer } from './fixture-server.js'

// Between requests the driver waits for the next one itself while Node's loop has nothing else to
// do (fuse-session.c's wait_here): the loop's timers, its thread pool's answers and Promise
// continuations must still come while a caller keeps requests coming with no pause.
const run = promisify(execFile)
const STAT_FOR = 'import os, sys, time\nend = time.monotonic() + float(sys.argv[2])\nn = 0\nwhile time.monotonic() < end:\n    os.stat(sys.argv[1]); n += 1\nprint(n)\n'
const TIMED_STATS = 'import os, sys, time\nworst = 0\nfor i in range(20):\n    t = time.monotonic(); os.stat(sys.argv[1]); worst = max(worst, time.monotonic() - t); time.sleep(0.02)\nprint(worst)\n'

let server: FixtureServer

beforeAll(async () => {
  server = await startFixture('serve-busy.mjs')
})

afterAll(async () => {
  await server.stop()
})

async function ticksSince(tag: string): Promise<number> {
  await expect(mkdir(join(server.dir, `stats-${tag}`))).rejects.toMatchObject({ code: 'EEXIST' })
  const [, ticks] = await server.printed(new RegExp(`stats-${tag}: ticks: (\\d+)`))
  return Number(ticks)
}

describe('the low-level driver under a stream of requests', () => {
  it("answers each in a Promise continuation, and leaves the process's timers and thread pool their turns", async () => {
    await ticksSince('start')
    const [stream, pooled] = await Promise.all([
      run('python3', ['-c', STAT_FOR, join(server.dir, 'file'), '1']),
      run('python3', ['-c', TIMED_STATS, join(server.dir, 'pooled')]),
    ])
    // Every stat was answered (each one in a continuation: with none run, the stream stops at its first).
    expect(Number(stream.stdout)).toBeGreaterThan(1000)
    // A 5 ms interval over about a second of requests: 200 turns when the loop gets them.
    expect(await ticksSince('stream')).toBeGreaterThan(100)
    // Answered after libuv's thread pool: its completion comes to the loop while the stream goes on.
    expect(Number(pooled.stdout)).toBeLessThan(0.1)
  })
})
