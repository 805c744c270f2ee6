import { readdirSync, readFileSync } from 'node:fs'
import { run } from './cases/shell.js'

/** One field of a thread's /proc status ("Cpus_allowed_list", "voluntary_ctxt_switches"). */
export function threadStatus(pid: number, tid: number, field: string): string {
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')
  const value = new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(status)?.[1]
  if (value === undefined) throw new Error(`/proc/${pid}/task/${tid}/status has no ${field}`)
  return value
}

/** A thread's scheduling policy (field 41 of its stat): 0 SCHED_OTHER, 5 SCHED_IDLE. */
export function threadPolicy(pid: number, tid = pid): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[38])
}

/** The CPUs a thread may run on, as /proc lists them ("0-1", "1"). */
export const threadCpus = (pid: number, tid = pid): string => threadStatus(pid, tid, 'Cpus_allowed_list')

/** The id of the thread of process `pid` named `name` (its comm), if it has one. */
export function threadNamed(pid: number, name: string): number | undefined {
  const tid = readdirSync(`/proc/${pid}/task`).find((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === name)
  return tid === undefined ? undefined : Number(tid)
}

/** The CPU numbers of a list such as "0-3,5". */
export function cpuNumbers(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [first = 0, last = first] = part.split('-').map(Number)
    return Array.from({ length: last - first + 1 }, (_, i) => first + i)
  })
}

// One thread per CPU given, pinned to it: each looks up `blocks` × 3 names that do not exist in
// the directory (one LOOKUP each; names of its own: the kernel keeps a negative entry a while),
// the threads taking turns by blocks of 3.
const LOOKUPS = [
  'import os, sys, threading',
  'directory, blocks, cpus = sys.argv[1], int(sys.argv[2]), [int(c) for c in sys.argv[3:]]',
  'turn = [0]',
  'cond = threading.Condition()',
  'def caller(index, cpu):',
  '    os.sched_setaffinity(0, {cpu})',
  '    for block in range(blocks):',
  '        with cond:',
  '            cond.wait_for(lambda: turn[0] % len(cpus) == index)',
  '        for n in range(3):',
  '            try: os.stat(os.path.join(directory, f"absent-{os.getpid()}-{index}-{block}-{n}"))',
  '            except FileNotFoundError: pass',
  '        with cond:',
  '            turn[0] += 1',
  '            cond.notify_all()',
  'threads = [threading.Thread(target=caller, args=(i, c)) for i, c in enumerate(cpus)]',
  'for t in threads: t.start()',
  'for t in threads: t.join()',
].join('\n')

/**
 * Lookups of absent names in `directory` from one caller thread per CPU of `cpus`, each pinned
 * there, taking turns (python3): what a mount sees of callers on those CPUs.
 */
export async function lookupsFromCpus(directory: string, cpus: readonly number[], blocks = 200): Promise<void> {
  await run('python3', ['-c', LOOKUPS, directory, String(blocks), ...cpus.map(String)])
}
