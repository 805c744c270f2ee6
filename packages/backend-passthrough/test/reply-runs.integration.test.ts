import { execFile } from 'node:child_process'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { cpuNumbers, lookupsFromCpus, threadCpus, threadPolicy, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'
import { sourceMountSetup } from './helpers.js'

const run = promisify(execFile)
const UNLINK_ALL = 'import os, sys\nd = sys.argv[1]\nfor name in os.listdir(d): os.unlink(os.path.join(d, name))\n'
const SCHED_OTHER = 0

describe('passthrough mount: the unlinks the driver answers itself, written as one run of SCHED_IDLE replies', () => {
  const setup = sourceMountSetup([])
  const mounted = useMount(setup)

  it('ends the run before the thread waits: after a burst from one pinned caller it is back to its own policy and still on that CPU', async () => {
    const full = threadCpus(process.pid)
    const last = cpuNumbers(full).at(-1)!
    const pinned = cpuNumbers(full).length >= 2 ? String(last) : full
    mkdirSync(join(setup.source(), 'burst'))
    // Past the 512 replies written as the thread's own policy after one that took long (caller-cpu.c).
    for (let i = 0; i < 2000; i++) writeFileSync(join(setup.source(), 'burst', `f${i}`), '')
    await lookupsFromCpus(mounted().dir, [last])
    const pid = mounted().pid
    expect(threadCpus(pid)).toBe(pinned)

    // Listed by JavaScript, then 2,000 UNLINKs answered by the driver, each followed by a FORGET,
    // and nothing after them: no request JavaScript answers ends the run for it.
    await run('taskset', ['-c', String(last), 'python3', '-c', UNLINK_ALL, join(mounted().dir, 'burst')])
    expect(readdirSync(join(setup.source(), 'burst'))).toEqual([])
    // A run left open would keep the thread SCHED_IDLE until the watchdog gave its policy back,
    // 20-40 ms after the last reply, and its affinity with it.
    await sleep(100)
    expect(threadPolicy(pid)).toBe(SCHED_OTHER)
    expect(threadCpus(pid)).toBe(pinned)
  })
})
