import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { cpuNumbers, lookupsFromCpus, runCli, threadCpus, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'
import { sourceMountSetup } from './helpers.js'

const run = promisify(execFile)

// Pinned to one CPU, N times: a file of the mount open (close-on-exec), fork, exec /bin/true in
// the child. Each exec closes the child's copy, so the mount gets a FLUSH from a process in
// execve, which holds its exec_update_lock meanwhile (the lock /proc/<pid>/stat takes).
const EXECS = [
  'import os, sys',
  'path, times, cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])',
  'os.sched_setaffinity(0, {cpu})',
  'for _ in range(times):',
  '    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)',
  '    child = os.fork()',
  '    if child == 0:',
  // Off the test's pipes: a child stuck in execve must not keep them open past the timeout.
  '        quiet = os.open("/dev/null", os.O_WRONLY)',
  '        os.dup2(quiet, 1)',
  '        os.dup2(quiet, 2)',
  '        os.execv("/bin/true", ["true"])',
  '    os.waitpid(child, 0)',
  '    os.close(fd)',
].join('\n')

describe('passthrough mount followed by its callers: a caller that execs with a file of the mount open', () => {
  const setup = sourceMountSetup([])
  const mounted = useMount(setup)

  it('gets its FLUSH answered while the thread follows it (the caller is never looked at from that thread)', async () => {
    const full = threadCpus(process.pid)
    const cpu = cpuNumbers(full).at(-1)!
    const file = join(mounted().dir, 'held')
    writeFileSync(file, 'x')
    await lookupsFromCpus(mounted().dir, [cpu])
    // Stuck on each other, the callers would never return: after 30 s the connection is ended
    // (which frees them all) and the test fails.
    const stalled = Symbol('stalled')
    const outcome = await Promise.race([run('python3', ['-c', EXECS, file, '200', String(cpu)]), sleep(30_000, stalled, { ref: false })])
    if (outcome === stalled) {
      await runCli(['unmount', '--abort', mounted().dir], { timeoutMs: 10_000 })
      throw new Error('200 execs with a file of the mount open did not end within 30 s: the mount stalled')
    }
    // It followed them all along: the FLUSHes were sampled like any other request.
    expect(threadCpus(mounted().pid)).toBe(cpuNumbers(full).length >= 2 ? String(cpu) : full)
  })
})
