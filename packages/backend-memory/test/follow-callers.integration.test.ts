import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { run, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'

/** The CPUs a thread may run on, as /proc lists them ("0-1", "1"). */
function allowedCpus(pid: number, tid = pid): string {
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)![1]!
}

/** The CPU numbers of a list such as "0-3,5". */
function cpuNumbers(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [first, last = first] = part.split('-').map(Number) as [number, number?]
    return Array.from({ length: last! - first + 1 }, (_, i) => first + i)
  })
}

// Callers, one thread each, pinned to the CPUs given: each looks up `blocks` × 3 names that do not
// exist (one LOOKUP each; names of its own: the kernel keeps a negative entry a while), the
// threads taking turns by blocks of 3.
const callers = [
  'import os, sys, threading',
  'mount, blocks, cpus = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3:]]',
  'turn = [0]',
  'cond = threading.Condition()',
  'def caller(index, cpu):',
  '    os.sched_setaffinity(0, {cpu})',
  '    for block in range(blocks):',
  '        with cond:',
  '            cond.wait_for(lambda: turn[0] % len(cpus) == index)',
  '        for n in range(3):',
  '            try: os.stat(os.path.join(mount, f"absent-{os.getpid()}-{index}-{block}-{n}"))',
  '            except FileNotFoundError: pass',
  '        with cond:',
  '            turn[0] += 1',
  '            cond.notify_all()',
  'threads = [threading.Thread(target=caller, args=(i, c)) for i, c in enumerate(cpus)]',
  'for t in threads: t.start()',
  'for t in threads: t.join()',
].join('\n')

describe('memory mount: the thread answering requests follows its callers (--follow-callers, the default)', () => {
  const mounted = useMount({ backend: 'memory', args: () => [] })
  const full = allowedCpus(process.pid)
  const cpus = cpuNumbers(full)
  const lookups = (...on: number[]) => run('python3', ['-c', callers, mounted().dir, '200', ...on.map(String)])

  it('moves to the CPU of a lone caller and with it; callers on several CPUs and bulk writes leave it free', async () => {
    const [first = 0, second = first] = cpus
    // One CPU: nothing to follow, nothing changes.
    const alone = (cpu: number) => (cpus.length >= 2 ? String(cpu) : full)
    expect(allowedCpus(mounted().pid)).toBe(full)

    await lookups(second)
    expect(allowedCpus(mounted().pid)).toBe(alone(second))
    await lookups(first)
    expect(allowedCpus(mounted().pid)).toBe(alone(first))

    await lookups(first, second)
    expect(allowedCpus(mounted().pid)).toBe(full)

    await lookups(second)
    expect(allowedCpus(mounted().pid)).toBe(alone(second))
    // 1 MiB writes: the copies go better on two CPUs than one.
    await run('dd', ['if=/dev/zero', `of=${join(mounted().dir, 'bulk')}`, 'bs=1M', 'count=4', 'status=none'])
    expect(allowedCpus(mounted().pid)).toBe(full)
  })
})

describe('memory mount with --no-follow-callers', () => {
  const mounted = useMount({ backend: 'memory', args: () => ['--no-follow-callers'] })

  it('leaves the thread answering requests where the kernel puts it', async () => {
    const full = allowedCpus(process.pid)
    const last = cpuNumbers(full).at(-1)!
    await run('python3', ['-c', callers, mounted().dir, '200', String(last)])
    expect(allowedCpus(mounted().pid)).toBe(full)
  })
})
