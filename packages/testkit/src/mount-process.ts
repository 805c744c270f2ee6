import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, mkdtempSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { mountedType } from '@fusekit/core'
import { cliPath } from './cli-process.js'
import { setprivArgs } from './cases/child.js'
import { assertFuseAvailable } from './fuse-available.js'

/** A `fusekit mount` running in its own process (a process must never use its own mount). */
export interface MountProcess {
  /** Absolute mountpoint. */
  readonly dir: string
  readonly pid: number
  /** Everything the process printed so far, stderr and stdout interleaved. */
  output(): string
  /**
   * Sends `signal` (default SIGTERM), waits for the exit and resolves with the exit code (null when
   * killed by a signal). Rejects when the process left its mount behind, after clearing it.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Waits for the process to end by itself (no signal sent), with the same checks as stop(). */
  exited(): Promise<number | null>
  /** SIGKILL and wait: leaves a stale mount on purpose. */
  kill9(): Promise<void>
}

export interface StartMountOptions {
  backend: string
  /** Backend and mount flags after the mountpoint. */
  args?: string[]
  /** Relative to `cwd`. Defaults to a fresh directory under the system temp dir, removed by cleanupMounts(). */
  mountpoint?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** How long to wait for the mount to be ready, and for it to exit on stop() (default 30 s). */
  timeoutMs?: number
  /**
   * Mount as this ordinary user (setpriv) instead of the test's own: the mountpoint is made
   * theirs, and the low-level driver mounts through fusermount.
   */
  user?: { uid: number; gid: number; groups?: readonly number[] }
}

interface Started {
  child: ChildProcess
  dir: string
}

const running = new Set<Started>()
const usedDirs = new Set<string>()
const createdDirs = new Set<string>()

/**
 * Starts `fusekit mount <backend> <dir> ...args` and resolves once it printed its ready line and
 * the mount shows in the mount table. Rejects with the process's output if it exits first or the
 * timeout passes (and then leaves nothing running or mounted).
 */
export async function startMount(options: StartMountOptions): Promise<MountProcess> {
  assertFuseAvailable()
  const timeoutMs = options.timeoutMs ?? 30_000
  const dir = options.mountpoint ? resolve(options.cwd ?? '.', options.mountpoint) : mkdtempSync(join(tmpdir(), 'fusekit-mnt-'))
  if (!options.mountpoint) createdDirs.add(dir)
  usedDirs.add(dir)

  const args = [cliPath(), 'mount', options.backend, dir, ...(options.args ?? [])]
  const { user } = options
  if (user) chownSync(dir, user.uid, user.gid)
  const [command, commandArgs] = user
    ? ['setpriv', [...setprivArgs(user), process.execPath, ...args]]
    : [process.execPath, args]
  const child = spawn(command, commandArgs, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const started: Started = { child, dir }
  running.add(started)
  let output = ''
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code) => {
      running.delete(started)
      resolveExit(code)
    })
  })
  const describe = () => `fusekit mount ${options.backend} ${dir} ${(options.args ?? []).join(' ')}`.trimEnd()

  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs)
      const onData = (text: string) => {
        output += text
        if (output.split('\n').some((line) => line.startsWith('fusekit: mounted ') && line.endsWith(` at ${dir}`))) {
          clearTimeout(timer)
          ready()
        }
      }
      child.stdout?.setEncoding('utf8').on('data', onData)
      child.stderr?.setEncoding('utf8').on('data', onData)
      child.once('error', (error) => {
        clearTimeout(timer)
        fail(error)
      })
      void exited.then((code) => {
        clearTimeout(timer)
        fail(new Error(`exited with code ${code} before it was ready`))
      })
    })
    if ((await mountedType(dir)) === undefined) throw new Error('printed its ready line but nothing is mounted there')
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    unmountQuietly(dir)
    throw new Error(`${describe()}: ${(error as Error).message}\n--- output ---\n${output}`, { cause: error })
  }

  let killed = false
  const finished = async (after: string): Promise<number | null> => {
    const code = await withTimeout(exited, timeoutMs, () => {
      child.kill('SIGKILL')
      return new Error(`${describe()}: still running ${timeoutMs} ms after ${after}\n--- output ---\n${output}`)
    })
    if (!killed && (await mountedType(dir)) !== undefined) {
      unmountQuietly(dir)
      throw new Error(`${describe()} exited with code ${code} but left ${dir} mounted (cleared with fusermount -uz)\n--- output ---\n${output}`)
    }
    return code
  }
  return {
    dir,
    pid: child.pid as number,
    output: () => output,
    stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return finished(signal)
    },
    exited: () => finished('waiting for it to exit'),
    async kill9() {
      killed = true
      child.kill('SIGKILL')
      await exited
    },
  }
}

/**
 * Kills mount processes still running, detaches every mountpoint startMount used (stale mounts
 * included) and removes the directories it created. Synchronous, so it also works at process exit.
 * Returns the mountpoints that were still mounted.
 */
export function cleanupMounts(): string[] {
  for (const { child } of running) child.kill('SIGKILL')
  running.clear()
  const cleared = [...usedDirs].filter(unmountQuietly)
  usedDirs.clear()
  for (const dir of createdDirs) {
    try {
      rmdirSync(dir)
      createdDirs.delete(dir)
    } catch {
      // Still busy or not empty: leave it rather than risk deleting data.
    }
  }
  return cleared
}

/** `fusermount -uz`; true when something was mounted there. */
function unmountQuietly(dir: string): boolean {
  try {
    execFileSync('fusermount', ['-uz', dir], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

process.once('exit', cleanupMounts)
if (process.env.VITEST) {
  const { afterAll } = await import('vitest')
  afterAll(() => {
    const leftovers = cleanupMounts()
    if (leftovers.length > 0) console.warn(`fusekit testkit: cleared mounts left behind: ${leftovers.join(', ')}`)
  })
}
