import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureTestUsers, eventually, runCli, setprivArgs, startMount, type MountProcess, type TestUser, type TestUsers } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'
import { mountEntry } from './fixtures/mount-table.js'

// A mount whose process is stopped (SIGSTOP, a debugger) answers nothing: every call on it waits.
// `fusekit unmount` must not wait with them, and --abort must free them.

let project: string
let users: TestUsers

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fusekit-cli-stopped-'))
  // The ordinary user runs the CLI from the project too.
  chmodSync(project, 0o755)
  await writeHelloPackage(project)
  ;({ users } = await ensureTestUsers())
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

/** `ls` of the mount in a process of its own, which waits as long as the mount does not answer. */
function waitingLs(dir: string, asUser?: TestUser) {
  const argv = asUser ? ['setpriv', ...setprivArgs(asUser), 'ls', dir] : ['ls', dir]
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })))
  return { child, done }
}

/** Stops the mount process and starts a call that waits on it; checks that it does wait. */
async function stopWithCallWaiting(mount: MountProcess, asUser?: TestUser) {
  process.kill(mount.pid, 'SIGSTOP')
  const ls = waitingLs(mount.dir, asUser)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  expect(ls.child.exitCode, 'ls of a stopped mount should be waiting').toBeNull()
  return ls
}

const hello = (asUser?: TestUser) => startMount({ backend: 'hello', cwd: project, user: asUser })

describe('a mount whose process is stopped', () => {
  it('is refused as a mountpoint, with the way out, and detached by fusekit unmount at once; waiting calls go on waiting', async () => {
    const mount = await hello()
    const ls = await stopWithCallWaiting(mount)
    try {
      const refused = await runCli(['mount', 'hello', mount.dir], { cwd: project })
      expect(refused.code, refused.stderr).toBe(1)
      expect(refused.stderr).toBe(
        `fusekit: error: EBUSY: ${mount.dir} is mounted and does not answer (its process is stopped or hung): run \`fusekit unmount --abort ${mount.dir}\` first\n`,
      )

      const unmounted = await runCli(['unmount', mount.dir], { timeoutMs: 10_000 })
      expect(unmounted.code, unmounted.stderr).toBe(0)
      expect(unmounted.stderr).toBe(`fusekit: unmounted ${mount.dir}\n`)
      expect(await mountEntry(mount.dir)).toBeUndefined()
      // Detached, not ended: the call that was waiting still waits for the process.
      expect(ls.child.exitCode).toBeNull()
    } finally {
      process.kill(mount.pid, 'SIGCONT')
    }
    // Running again, the process answers it (ls then lists the directory under the mount, now
    // uncovered), notices the unmount and exits cleanly.
    expect(await ls.done).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(await mount.exited(), mount.output()).toBe(0)
  })

  it('has its connection ended by fusekit unmount --abort: waiting calls fail at once', async () => {
    const mount = await hello()
    const ls = await stopWithCallWaiting(mount)
    try {
      const aborted = await runCli(['unmount', '--abort', mount.dir], { timeoutMs: 10_000 })
      expect(aborted.code, aborted.stderr).toBe(0)
      expect(aborted.stderr).toBe(`fusekit: aborted the connection and unmounted ${mount.dir}\n`)
      const result = await ls.done
      expect(result.code).toBe(2)
      // ECONNABORTED for the request that was waiting; ENOTCONN if the kernel asked again after it.
      expect(result.stderr).toMatch(/Software caused connection abort|Transport endpoint is not connected/)
      expect(await mountEntry(mount.dir)).toBeUndefined()
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).toMatch(/ \/sys\/fs\/fuse\/connections .* - fusectl /)
    } finally {
      process.kill(mount.pid, 'SIGCONT')
    }
    expect(await mount.exited(), mount.output()).toBe(0)
  })

  it('may be aborted by the user who mounted it, not by another', async () => {
    // fusectl is there (root's --abort mounts it when it is not): an ordinary user cannot mount it.
    if (!/ \/sys\/fs\/fuse\/connections .* - fusectl /.test(readFileSync('/proc/self/mountinfo', 'utf8'))) {
      execFileSync('mount', ['-t', 'fusectl', 'fusectl', '/sys/fs/fuse/connections'])
    }
    const mount = await hello(users.alice)
    const ls = await stopWithCallWaiting(mount, users.alice)
    try {
      const other = await runCli(['unmount', '--abort', mount.dir], { timeoutMs: 10_000, user: users.bob })
      expect(other.code, other.stderr).toBe(1)
      expect(other.stderr).toBe(`fusekit: error: EPERM: only root or the user who mounted ${mount.dir} may abort its connection\n`)
      expect(ls.child.exitCode).toBeNull()

      const owner = await runCli(['unmount', '--abort', mount.dir], { timeoutMs: 10_000, user: users.alice })
      expect(owner.code, owner.stderr).toBe(0)
      expect((await ls.done).stderr).toMatch(/Software caused connection abort|Transport endpoint is not connected/)
      await eventually(async () => expect(await mountEntry(mount.dir)).toBeUndefined(), 5_000)
    } finally {
      process.kill(mount.pid, 'SIGCONT')
    }
    expect(await mount.exited(), mount.output()).toBe(0)
  })
})
