import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { eventually, startMount, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'
import { directReads, sourceMountSetup } from './helpers.js'

const run = promisify(execFile)

/** `promise`, or a rejection naming `what` after `ms` (a request that waits on the stuck one). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

// Opens argv[1] with O_DIRECT, prints "open", and on a line from stdin reads 4 KiB at argv[2]:
// prints its bytes in hex.
const stuckReader = [
  'import mmap, os, sys',
  'fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)',
  'print("open", flush=True)',
  'sys.stdin.readline()',
  'buf = mmap.mmap(-1, 4096)',
  'n = os.preadv(fd, [buf], int(sys.argv[2]))',
  'print(buf[:n].hex(), flush=True)',
].join('\n')

describe('passthrough mount: a read stuck in its source while the helper threads read', () => {
  const setup = sourceMountSetup([])
  const mounted = useMount(setup)

  it('answers the other requests meanwhile, under a backlog of random reads too, and the stuck one once the source answers', async () => {
    const source = setup.source()
    const data = randomBytes(64 * 1024 * 1024)
    await writeFile(join(source, 'data'), data)
    await writeFile(join(source, 'other'), 'other\n')
    // A memory mount inside the source: while its process is stopped, a read of its file that
    // is not in the page cache waits, in whichever helper thread `pread`s it.
    await mkdir(join(source, 'gate'))
    const gate = await startMount({ backend: 'memory', mountpoint: join(source, 'gate') })
    const slow = randomBytes(64 * 1024)
    try {
      await writeFile(join(gate.dir, 'slow'), slow)
      await run('python3', ['-c', `import os; fd = os.open("${join(gate.dir, 'slow')}", os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)`])
      const read = (count: number, start: number, stride: number) => directReads(join(mounted().dir, 'data'), join(source, 'data'), count, start, stride)
      // Random reads hand the reading to the helper threads (kernel-io.integration.test.ts).
      expect(await read(300, 0, 97)).toBe('wrong 0\n')

      const stuck = spawn('python3', ['-c', stuckReader, join(mounted().dir, 'gate', 'slow'), String(8192)], { stdio: ['pipe', 'pipe', 'pipe'] })
      let stuckOut = ''
      stuck.stdout.setEncoding('utf8').on('data', (text: string) => (stuckOut += text))
      const stuckDone = new Promise<number | null>((resolve) => stuck.once('close', resolve))
      await eventually(() => expect(stuckOut).toBe('open\n'), 10_000)

      // Four readers at once, each as fast as `dd` reads (Python's loop would leave the helpers
      // waiting): a backlog, under which the helpers past the first park.
      const readers = [1, 2, 3, 4].map((k) =>
        run('dd', [`if=${join(mounted().dir, 'data')}`, 'of=/dev/null', 'iflag=direct', 'bs=4k', 'count=13000', `skip=${(k - 1) * 1000}`]).then((r) => r.stderr.split('\n')[1]),
      )
      await new Promise((resolve) => setTimeout(resolve, 200))
      process.kill(gate.pid, 'SIGSTOP')
      try {
        stuck.stdin.write('go\n')
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect(stuck.exitCode, 'the read of the stopped source should be waiting').toBeNull()
        // Whichever helper waits in it, the rest is answered: the readers finish, a lookup works.
        expect(await within(Promise.all(readers), 30_000, 'the four readers')).toEqual(Array(4).fill('13000+0 records out'))
        expect((await within(stat(join(mounted().dir, 'other')), 10_000, 'a lookup')).size).toBe(6)
        expect(await within(read(200, 5, 41), 10_000, 'another reader')).toBe('wrong 0\n')
        expect(stuck.exitCode).toBeNull()
      } finally {
        process.kill(gate.pid, 'SIGCONT')
      }
      expect(await stuckDone).toBe(0)
      expect(stuckOut).toBe(`open\n${slow.subarray(8192, 8192 + 4096).toString('hex')}\n`)
    } finally {
      process.kill(gate.pid, 'SIGCONT')
      await gate.stop()
    }
  })
})

