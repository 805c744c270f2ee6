import { readdirSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { join } from 'node:path'
import { cpuNumbers, eventually, lookupsFromCpus, run, threadCpus, threadNamed, threadPolicy, threadStatus, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'

const full = threadCpus(process.pid)
const cpus = cpuNumbers(full)
const SCHED_OTHER = 0

/** A thread's scheduling policy and voluntary context switches so far. */
function threadState(pid: number, tid: number): { policy: number; switches: number } {
  return { policy: threadPolicy(pid, tid), switches: Number(threadStatus(pid, tid, 'voluntary_ctxt_switches')) }
}

describe('memory mount: the thread answering requests follows its callers (--follow-callers, the default)', () => {
  const mounted = useMount({ backend: 'memory', args: () => [] })

  it('moves to the CPU of a lone caller and with it; callers on several CPUs and bulk writes leave it free', async () => {
    const [first = 0, second = first] = cpus
    const main = () => threadCpus(mounted().pid)
    // One CPU: nothing to follow, nothing changes.
    const alone = (cpu: number) => (cpus.length >= 2 ? String(cpu) : full)
    expect(main()).toBe(full)

    await lookupsFromCpus(mounted().dir, [second])
    expect(main()).toBe(alone(second))
    // Its replies were written as SCHED_IDLE (the caller is then woken on its vCPU), and it is
    // back to its own policy (at once, or within 40 ms from the watchdog when the last reply's
    // write was preempted by other work on that vCPU); the watchdog sleeps once they stopped.
    const pid = mounted().pid
    await eventually(() => expect(threadState(pid, pid).policy).toBe(SCHED_OTHER), 1000)
    const watchdog = threadNamed(pid, 'fusekit-watch')
    // Root may go back from SCHED_IDLE (CAP_SYS_NICE); the tests run as root.
    expect(watchdog !== undefined).toBe(cpus.length >= 2 && process.getuid?.() === 0)
    if (watchdog) {
      await sleep(100)
      const before = threadState(pid, watchdog).switches
      await sleep(300)
      expect(threadState(pid, watchdog).switches).toBe(before)
    }
    // Only that thread and the one that looks where callers run (it goes along, so that waking
    // it wakes no other vCPU): libuv's pool, V8's workers and the rest may still run anywhere.
    const sampler = threadNamed(pid, 'fusekit-sample')
    expect(sampler !== undefined).toBe(cpus.length >= 2)
    if (sampler) expect(threadCpus(pid, sampler)).toBe(alone(second))
    const others = readdirSync(`/proc/${pid}/task`).filter((tid) => tid !== String(pid) && tid !== String(sampler))
    expect(others.length).toBeGreaterThan(4)
    for (const tid of others) expect(threadCpus(pid, Number(tid))).toBe(full)
    await lookupsFromCpus(mounted().dir, [first])
    expect(main()).toBe(alone(first))

    await lookupsFromCpus(mounted().dir, [first, second])
    expect(main()).toBe(full)

    await lookupsFromCpus(mounted().dir, [second])
    expect(main()).toBe(alone(second))
    // 1 MiB writes: the copies go better on two CPUs than one.
    await run('dd', ['if=/dev/zero', `of=${join(mounted().dir, 'bulk')}`, 'bs=1M', 'count=4', 'status=none'])
    expect(main()).toBe(full)
  })
})

describe('memory mount with --no-follow-callers', () => {
  const mounted = useMount({ backend: 'memory', args: () => ['--no-follow-callers'] })

  it('leaves the thread answering requests where the kernel puts it', async () => {
    await lookupsFromCpus(mounted().dir, [cpus.at(-1)!])
    expect(threadCpus(mounted().pid)).toBe(full)
  })
})
