import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { availableParallelism, constants, release } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { cpuNumbers, lookupsFromCpus, threadCpus, threadNamed, useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'
import { directReads, sourceMountSetup } from './helpers.js'

const run = promisify(execFile)

/** Whether this kernel lets a FUSE server hand it backing files (CONFIG_FUSE_PASSTHROUGH, Linux 6.9+). */
function kernelHasPassthrough(): boolean {
  try {
    return /^CONFIG_FUSE_PASSTHROUGH=y$/m.test(gunzipSync(readFileSync('/proc/config.gz')).toString())
  } catch {
    const [major = 0, minor = 0] = release().split('.').map(Number)
    return major > 6 || (major === 6 && minor >= 9)
  }
}

describe.each(['lowlevel', 'fuse-native'])('passthrough mount with the %s driver: reads and writes', (driver) => {
  const setup = sourceMountSetup(['--driver', driver, '--debug'])
  const mounted = useMount(setup)

  it('are done by the kernel on the source file itself where it can (FUSE passthrough, lowlevel only), with the same data either way', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17)
    await writeFile(join(mounted().dir, 'big'), data)
    expect((await readFile(join(setup.source(), 'big'))).equals(data)).toBe(true)
    await writeFile(join(setup.source(), 'big'), data.subarray(0, 1000))
    expect((await readFile(join(mounted().dir, 'big'))).equals(data.subarray(0, 1000))).toBe(true)

    // The trace names nodes: `create(uid 0 pid 42, 1, "big", ...) -> {node 2, ...}`.
    const trace = mounted().output()
    const node = /debug: create\(uid \d+ pid \d+, 1, "big", .*\{node (\d+),/.exec(trace)?.[1]
    expect(node, trace.slice(0, 2000)).toBeDefined()
    const backendIo = new RegExp(`debug: (read|write)\\(uid \\d+ pid \\d+, ${node},`).test(trace)
    expect(backendIo, trace.slice(-2000)).toBe(driver === 'fuse-native' || !kernelHasPassthrough())
  })
})

describe.each(['lowlevel', 'fuse-native'])('passthrough mount with the %s driver: O_DIRECT', (driver) => {
  // No --debug: with it every read and write goes through the backend, for the trace.
  const setup = sourceMountSetup(['--driver', driver])
  const mounted = useMount(setup)

  it('reads and writes the source file at the offsets asked, short at the end, never from a stale cache', async () => {
    const data = randomBytes(1024 * 1024)
    await writeFile(join(setup.source(), 'input'), data)
    await run('dd', [`if=${join(setup.source(), 'input')}`, `of=${join(mounted().dir, 'direct')}`, 'oflag=direct', 'bs=64k', 'status=none'])
    expect((await readFile(join(setup.source(), 'direct'))).equals(data)).toBe(true)

    // Changed underneath: an O_DIRECT read sees it at once.
    const patch = randomBytes(4096)
    const source = await open(join(setup.source(), 'direct'), 'r+')
    await source.write(patch, 0, 4096, 8192)
    await source.close()
    const { stdout } = await run('dd', [`if=${join(mounted().dir, 'direct')}`, 'iflag=direct', 'bs=4096', 'skip=2', 'count=1', 'status=none'], { encoding: 'buffer' })
    expect(Buffer.from(stdout).equals(patch)).toBe(true)

    const probe = [
      'import mmap, os, sys',
      'fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)',
      'buf = mmap.mmap(-1, 65536)',
      'print(os.preadv(fd, [buf], 1024 * 1024 - 4096), os.preadv(fd, [buf], 4 * 1024 * 1024))',
      'try:',
      '    os.pwrite(fd, bytes(4096), 0)',
      'except OSError as e:',
      '    print(e.errno)',
    ].join('\n')
    const { stdout: answers } = await run('python3', ['-c', probe, join(mounted().dir, 'direct')])
    expect(answers.split('\n')).toEqual(['4096 0', String(constants.errno.EBADF), ''])
  })

  it('keeps every handle apart with hundreds open at once, opened and closed in any order', async () => {
    const count = 300
    await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(setup.source(), `many-${i}`), Buffer.alloc(4096, i % 251))))
    // Open all, close every other one, open those again, then read each through its own handle.
    const probe = [
      'import mmap, os, sys',
      'root, count = sys.argv[1], int(sys.argv[2])',
      'path = lambda i: os.path.join(root, "many-%d" % i)',
      'fds = {i: os.open(path(i), os.O_RDONLY | os.O_DIRECT) for i in range(count)}',
      'for i in range(0, count, 2): os.close(fds.pop(i))',
      'for i in range(0, count, 2): fds[i] = os.open(path(i), os.O_RDONLY | os.O_DIRECT)',
      'buf = mmap.mmap(-1, 4096)',
      'wrong = [i for i, fd in fds.items() if os.preadv(fd, [buf], 0) != 4096 or buf[:] != bytes([i % 251]) * 4096]',
      'print(len(fds), wrong)',
    ].join('\n')
    const { stdout } = await run('python3', ['-c', probe, mounted().dir, String(count)])
    expect(stdout).toBe(`${count} []\n`)
  })
})

describe('passthrough mount with the lowlevel driver: O_DIRECT random reads', () => {
  const setup = sourceMountSetup([])
  const mounted = useMount(setup)
  const threads = () => readdirSync(`/proc/${mounted().pid}/task`).length
  const read = (count: number, start: number, stride: number) => directReads(join(mounted().dir, 'data'), join(setup.source(), 'data'), count, start, stride)

  it('hands the reading to a thread per CPU once they come (not for sequential ones): the same bytes, from several readers at once, and every other request still answered', async () => {
    await writeFile(join(setup.source(), 'data'), randomBytes(1024 * 1024))
    const before = threads()
    // Sequential readers, from the start of the file, stay on Node's thread.
    expect(await read(512, 0, 1)).toBe('wrong 0\n')
    expect(await read(512, 0, 1)).toBe('wrong 0\n')
    expect(threads()).toBe(before)

    // Node's thread follows a lone caller's CPU (--follow-callers) when the helpers start: they
    // still run anywhere (threads inherit their starter's affinity).
    const full = threadCpus(process.pid)
    const last = cpuNumbers(full).at(-1)!
    await lookupsFromCpus(mounted().dir, [last])
    expect(threadCpus(mounted().pid)).toBe(cpuNumbers(full).length >= 2 ? String(last) : full)
    // 97 blocks apart: never the block after the last one.
    expect(await read(300, 0, 97)).toBe('wrong 0\n')
    const cpus = availableParallelism()
    expect(threads()).toBe(cpus >= 2 ? before + cpus : before)
    const pid = mounted().pid
    // The thread that looks where callers run goes along with Node's (caller-cpu.c); the helpers do not.
    const sampler = String(threadNamed(pid, 'fusekit-sample'))
    for (const tid of readdirSync(`/proc/${pid}/task`).filter((tid) => tid !== String(pid) && tid !== sampler)) expect(threadCpus(pid, Number(tid))).toBe(full)
    const readers = [1, 2, 3, 4].map((seed) => read(500, seed, 37 + 2 * seed))
    expect(await Promise.all(readers)).toEqual(['wrong 0\n', 'wrong 0\n', 'wrong 0\n', 'wrong 0\n'])

    // Requests JavaScript answers, handed over by a helper; and O_DIRECT writes answered by one.
    const data = randomBytes(256 * 1024)
    await writeFile(join(setup.source(), 'input'), data)
    await run('dd', [`if=${join(setup.source(), 'input')}`, `of=${join(mounted().dir, 'copy')}`, 'oflag=direct', 'bs=4k', 'status=none'])
    expect((await readFile(join(setup.source(), 'copy'))).equals(data)).toBe(true)
    await mkdir(join(mounted().dir, 'dir'))
    await rename(join(mounted().dir, 'copy'), join(mounted().dir, 'dir', 'moved'))
    expect(await readdir(join(mounted().dir, 'dir'))).toEqual(['moved'])
    expect((await stat(join(mounted().dir, 'dir', 'moved'))).size).toBe(data.length)
  })
})
