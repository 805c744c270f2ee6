import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { cpuNumbers, lookupsFromCpus, run, threadCpus, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'

const full = threadCpus(process.pid)
const cpus = cpuNumbers(full)

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
    // Only that thread: libuv's pool, V8's workers and the rest may still run anywhere.
    const others = readdirSync(`/proc/${mounted().pid}/task`).filter((tid) => tid !== String(mounted().pid))
    expect(others.length).toBeGreaterThan(4)
    for (const tid of others) expect(threadCpus(mounted().pid, Number(tid))).toBe(full)
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
