import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, readlink, rm, rmdir, stat } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cliPath, eventually, runCli, startMount, threadNamed } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'
import { mountEntry } from './fixtures/mount-table.js'

const run = promisify(execFile)
let project: string

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fusekit-cli-lifecycle-'))
  await writeHelloPackage(project)
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

/** What a process has open, by path. */
async function openFiles(pid: number): Promise<string[]> {
  const fds = await readdir(`/proc/${pid}/fd`)
  return Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')))
}

/** CPU seconds (user + system, from /proc) process `pid` uses while `work` runs for `ms` milliseconds. */
async function cpuSecondsOver(pid: number, ms: number, work: (until: number) => Promise<void>): Promise<number> {
  const before = await cpuSeconds(pid)
  const until = Date.now() + ms
  await work(until)
  const left = until - Date.now()
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left))
  return (await cpuSeconds(pid)) - before
}

async function cpuSeconds(pid: number): Promise<number> {
  // utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux); the command name may hold spaces.
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const hello = (args: string[] = [], mountpoint?: string) => startMount({ backend: 'hello', args, cwd: project, mountpoint })

describe('fusekit mount lifecycle', () => {
  it('prints the ready line with the absolute mountpoint and serves the backend', async () => {
    const mount = await hello(['--greeting', 'hi there', '--repeat', '2', '--shout'])
    expect(mount.output()).toContain(`fusekit: mounted hello at ${mount.dir}\n`)
    expect(await readdir(mount.dir)).toEqual(['hello'])
    expect(await readFile(join(mount.dir, 'hello'), 'utf8')).toBe('HI THERE\nHI THERE\n')
    const entry = await mountEntry(mount.dir)
    expect(entry?.type).toBe('fuse.hello')
    expect(entry?.source).toBe('hello')
    expect(await mount.stop(), mount.output()).toBe(0)
  })

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`unmounts cleanly on ${signal} and exits 0`, async () => {
      const mount = await hello()
      expect(await mountEntry(mount.dir)).toBeDefined()
      expect(await mount.stop(signal), mount.output()).toBe(0)
      expect(mount.output()).toContain(`fusekit: ${signal}: unmounting ${mount.dir}`)
      expect(mount.output()).toContain(`fusekit: unmounted ${mount.dir}`)
      expect(await readFile('/proc/mounts', 'utf8')).not.toContain(` ${mount.dir} `)
    })
  }

  it('exits at once on a second signal while unmounting', async () => {
    const mount = await hello(['--stall-unmount'])
    process.kill(mount.pid, 'SIGTERM')
    await eventually(() => expect(mount.output()).toContain(`fusekit: SIGTERM: unmounting ${mount.dir}`), 10_000)
    // The kernel side is detached before the backend is released; only the backend hangs.
    await eventually(async () => expect(await mountEntry(mount.dir)).toBeUndefined(), 10_000)
    expect(await mount.stop('SIGINT'), mount.output()).toBe(1)
    expect(mount.output()).toContain('fusekit: SIGINT again: exiting without a clean unmount')
  })

  it('unmounts as soon as it is up when a signal arrives while mounting', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-cli-early-'))
    const child = spawn(process.execPath, [cliPath(), 'mount', 'hello', dir, '--start-delay', '1000'], { cwd: project })
    let output = ''
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      // The backend is being created: the mount has begun but is not up yet.
      await eventually(() => expect(output).toContain('starting slowly'), 10_000)
      child.kill('SIGTERM')
      expect(await exited, output).toBe(0)
      expect(output).toBe(
        `fusekit info: starting slowly\nfusekit: mounted hello at ${dir}\nfusekit: SIGTERM: unmounting ${dir}\nfusekit info: hello released\nfusekit: unmounted ${dir}\n`,
      )
      expect(await mountEntry(dir)).toBeUndefined()
    } finally {
      child.kill('SIGKILL')
      await run('fusermount', ['-uz', dir]).catch(() => undefined)
      await rmdir(dir)
    }
  })

  it('clears a stale mount left by kill -9 with fusekit unmount, then mounts again', async () => {
    const first = await hello()
    const dir = first.dir
    await first.kill9()
    expect(await mountEntry(dir)).toBeDefined()
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOTCONN' })

    const refused = await runCli(['mount', 'hello', dir], { cwd: project })
    expect(refused.code, refused.stderr).toBe(1)
    expect(refused.stderr).toBe(`fusekit: error: ENOTCONN: ${dir} holds a stale mount left by a process that died: run \`fusekit unmount ${dir}\` first\n`)

    const unmounted = await runCli(['unmount', dir])
    expect(unmounted.code, unmounted.stderr).toBe(0)
    expect(unmounted.stderr).toBe(`fusekit: unmounted ${dir}\n`)
    expect(await mountEntry(dir)).toBeUndefined()

    const second = await hello(['--greeting', 'again'], dir)
    expect(await readFile(join(dir, 'hello'), 'utf8')).toBe('again\n')
    expect(await second.stop(), second.output()).toBe(0)
  })

  it('unmounts a live mount with fusekit unmount, and the mount process exits 0', async () => {
    const mount = await hello()
    const result = await runCli(['unmount', mount.dir])
    expect(result.code, result.stderr).toBe(0)
    // The mount process notices within its watch interval and exits by itself.
    expect(await mount.exited(), mount.output()).toBe(0)
    expect(mount.output()).toContain(`fusekit: ${mount.dir} was unmounted from outside; exiting`)
    expect(mount.output()).toContain('hello released')
  })

  it('notices being unmounted from outside also when another mount takes the same place at once', async () => {
    const mount = await hello()
    expect((await runCli(['unmount', mount.dir])).code).toBe(0)
    const second = await hello(['--greeting', 'second'], mount.dir)
    // The first process goes, leaving the second mount alone.
    await eventually(() => expect(existsSync(`/proc/${mount.pid}`)).toBe(false))
    expect(mount.output()).toContain(`fusekit: ${mount.dir} was unmounted from outside; exiting`)
    expect(await readFile(join(mount.dir, 'hello'), 'utf8')).toBe('second\n')
    expect(await second.stop(), second.output()).toBe(0)
    expect(await mount.exited(), mount.output()).toBe(0)
  })

  it('refuses a mountpoint that is already mounted', async () => {
    const mount = await hello()
    const result = await runCli(['mount', 'hello', mount.dir], { cwd: project })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe(`fusekit: error: EBUSY: ${mount.dir} is already mounted: unmount it first (fusekit unmount ${mount.dir})\n`)
    expect(await readFile(join(mount.dir, 'hello'), 'utf8')).toBe('hello\n')
    expect(await mount.stop(), mount.output()).toBe(0)
  })

  it('passes --read-only, --fsname and raw -o options to the mount', async () => {
    const mount = await hello(['--read-only', '--fsname', 'greeter', '-o', 'noatime', '-o', 'noexec,nosuid'])
    const entry = await mountEntry(mount.dir)
    expect(entry?.source).toBe('greeter')
    expect(entry?.options).toEqual(expect.arrayContaining(['ro', 'noatime', 'noexec', 'nosuid']))
    expect(await mount.stop(), mount.output()).toBe(0)
  })

  it('says when an -o option only libfuse takes makes auto choose the slower fuse-native driver, and not otherwise', async () => {
    const libfuse = await hello(['-o', 'noatime,use_ino', '-o', 'attr_timeout=2'])
    expect(libfuse.output()).toContain(
      'fusekit: note: -o use_ino,attr_timeout=2 only libfuse takes: mounting with the fuse-native driver, which is slower (the mount flags, see --help, keep the low-level one)\n',
    )
    // The low-level driver, following callers, has a thread that looks where they run (given
    // two CPUs); fuse-native has none.
    expect(threadNamed(libfuse.pid, 'fusekit-sample')).toBeUndefined()
    expect(await libfuse.stop(), libfuse.output()).toBe(0)
    const lowlevel = await hello(['-o', 'noatime'])
    expect(lowlevel.output()).not.toContain('fusekit: note:')
    expect(threadNamed(lowlevel.pid, 'fusekit-sample') !== undefined).toBe(availableParallelism() >= 2)
    expect(await lowlevel.stop(), lowlevel.output()).toBe(0)
    // Asked for by name: nothing to say.
    const chosen = await hello(['--driver', 'fuse-native', '-o', 'use_ino'])
    expect(chosen.output()).not.toContain('fusekit: note:')
    expect(await chosen.stop(), chosen.output()).toBe(0)
  })

  it('with --debug, logs each operation of the backend with its caller, result and latency', async () => {
    const mount = await hello(['--debug'])
    await readFile(join(mount.dir, 'hello'))
    await expect(readFile(join(mount.dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await mount.stop(), mount.output()).toBe(0)
    expect(mount.output()).toMatch(/fusekit debug: getattr\(uid 0 pid \d+, "\/hello"\) -> \{mode: 0o100444, size: 6\} \[\d+ µs\]/)
    expect(mount.output()).toMatch(/fusekit debug: read\(uid 0 pid \d+, "\/hello", 0, <\d+ bytes>, 0\) -> 6 \[\d+ µs\]/)
    expect(mount.output()).toMatch(/fusekit debug: getattr\(uid 0 pid \d+, "\/missing"\) -> ENOENT \[\d+ µs\]/)
  })

  it('with --hot-loop cpu-latency, keeps idle CPUs polling while requests flow (a 0 µs request on /dev/cpu_dma_latency)', async () => {
    const mount = await hello(['--debug', '--hot-loop', 'cpu-latency', '--hot-loop-ms', '5000'])
    await readdir(mount.dir)
    expect(mount.output()).toContain('hot loop: cpu-latency, 5000 ms after each request')
    expect(await openFiles(mount.pid)).toContain('/dev/cpu_dma_latency')
    // The system's target is the smallest value any holder asks for; ours is 0.
    expect((await readFile('/dev/cpu_dma_latency')).readInt32LE(0)).toBe(0)
    expect(await mount.stop(), mount.output()).toBe(0)
  })

  for (const [args, mode] of [[[], 'off'], [['--hot-loop', 'event-loop'], 'event-loop, 2 ms after each request']] as const) {
    it(`with ${args.length ? args.join(' ') : 'the default hot loop'}, makes no CPU latency request`, async () => {
      const mount = await hello(['--debug', ...args])
      await readdir(mount.dir)
      expect(mount.output()).toContain(`hot loop: ${mode}`)
      expect(await openFiles(mount.pid)).not.toContain('/dev/cpu_dma_latency')
      expect(await mount.stop(), mount.output()).toBe(0)
    })
  }

  it('by default neither polls nor spins: the mount process uses almost no CPU while idle, and well under one CPU while busy', async () => {
    const mount = await hello([])
    const idle = await cpuSecondsOver(mount.pid, 1000, async () => {})
    // A stat every millisecond: a spinning event loop would burn the whole second.
    const busy = await cpuSecondsOver(mount.pid, 1000, async (until) => {
      while (Date.now() < until) {
        await stat(join(mount.dir, 'hello'))
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    })
    expect(idle).toBeLessThan(0.05)
    expect(busy).toBeLessThan(0.5)
    expect(await openFiles(mount.pid)).not.toContain('/dev/cpu_dma_latency')
    expect(await mount.stop(), mount.output()).toBe(0)
  })

  it('masks secret option values in what the backend logs', async () => {
    const mount = await hello(['--token', 'tok-0123456789'])
    expect(await mount.stop(), mount.output()).toBe(0)
    expect(mount.output()).toContain('fusekit info: using token ***')
    expect(mount.output()).not.toContain('tok-0123456789')
  })
})

describe('fusekit mount: mountpoint errors', () => {
  it('reports a missing mountpoint', async () => {
    const missing = join(project, 'no-such-dir')
    const result = await runCli(['mount', 'hello', missing], { cwd: project })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe(`fusekit: error: ENOENT: mountpoint ${missing} does not exist: create it with mkdir first\n`)
  })

  it('reports a mountpoint that is a file, resolved from the working directory', async () => {
    const result = await runCli(['mount', 'hello', 'node_modules/fusekit-backend-hello/index.js'], { cwd: project })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe(`fusekit: error: ENOTDIR: mountpoint ${project}/node_modules/fusekit-backend-hello/index.js is not a directory\n`)
  })
})

describe('fusekit unmount', () => {
  it('says so when nothing is mounted', async () => {
    const result = await runCli(['unmount', project])
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe(`fusekit: error: nothing is mounted at ${project}\n`)
  })

  it('asks for the mountpoint', async () => {
    const result = await runCli(['unmount'])
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toBe('fusekit: error: missing mountpoint (usage: fusekit unmount [--abort] <mountpoint>)\n')
  })

  it('refuses to touch a mount that is not FUSE', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-tmpfs-'))
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'fusekit-test', dir])
    try {
      const result = await runCli(['unmount', dir])
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toBe(`fusekit: error: ${dir} is not a FUSE mount (it is tmpfs): fusekit unmounts only FUSE filesystems\n`)
      expect((await mountEntry(dir))?.type).toBe('tmpfs')
    } finally {
      await run('umount', [dir])
      await rmdir(dir)
    }
  })
})
