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
// In rounds of `size` names of a directory: looks each up from one CPU (the kernel then has its
// entry, and the thread follows that caller there), then from another unlinks them and, after
// each, reads the serving thread's state and policy (/proc/<pid>/stat fields 3 and 41). Prints,
// per round, how many of those looks found it asleep (S) as SCHED_IDLE.
const UNLINK_AND_LOOK = [
  'import os, sys',
  'd, stat, mine, other, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])',
  'names = sorted(os.listdir(d))',
  'counts = []',
  'for start in range(0, len(names), size):',
  '    batch = names[start:start + size]',
  '    os.sched_setaffinity(0, {mine})',
  '    for name in batch: os.lstat(os.path.join(d, name))',
  '    os.sched_setaffinity(0, {other})',
  '    idle = 0',
  '    for name in batch:',
  '        os.unlink(os.path.join(d, name))',
  '        with open(stat) as f: fields = f.read().rsplit(")", 1)[1].split()',
  '        idle += fields[0] == "S" and fields[38] == "5"',
  '    counts.append(idle)',
  'print(*counts)',
].join('\n')
const SCHED_OTHER = 0

describe('passthrough mount: the unlinks the driver answers itself, written as one run of SCHED_IDLE replies', () => {
  const setup = sourceMountSetup([])
  const mounted = useMount(setup)

  it('keeps the run while the thread waits briefly for the next request: a caller on another CPU finds it asleep as SCHED_IDLE', async () => {
    const cpus = cpuNumbers(threadCpus(process.pid))
    mkdirSync(join(setup.source(), 'waits'))
    for (let i = 0; i < 1500; i++) writeFileSync(join(setup.source(), 'waits', `f${i}`), '')
    const pid = mounted().pid
    // The thread pinned to the last CPU (the lookups come from there); the unlinks from the first,
    // so that after each reply the thread finds no request and waits. In rounds, each looked up
    // first: on a loaded machine the watchdog may free the thread for the rest of one.
    await lookupsFromCpus(mounted().dir, [cpus.at(-1)!])
    const stat = `/proc/${pid}/task/${pid}/stat`
    const { stdout } = await run('python3', ['-c', UNLINK_AND_LOOK, join(mounted().dir, 'waits'), stat, String(cpus.at(-1)), String(cpus[0]), '300'])
    const rounds = stdout.trim().split(' ').map(Number)
    expect(rounds).toHaveLength(5)
    expect(readdirSync(join(setup.source(), 'waits'))).toEqual([])
    // Ending the run before every wait, the thread never slept as SCHED_IDLE: 0 looks, exactly.
    // Keeping it, most looks of an idle machine (250-300 a round here), and some still with both
    // CPUs kept busy by other work (8-45 of 1,500). With one CPU there is no caller's CPU to follow,
    // and no run.
    const asleepIdle = rounds.reduce((sum, n) => sum + n, 0)
    if (cpus.length >= 2) expect(asleepIdle).toBeGreaterThanOrEqual(5)
    else expect(asleepIdle).toBe(0)
  })

  it('ends the run when the requests stop: after a burst from one pinned caller it is back to its own policy and still on that CPU', async () => {
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
