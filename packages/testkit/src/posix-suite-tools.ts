import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { expect } from 'vitest'

export interface CommandResult {
  stdout: string
  stderr: string
}

export interface FailedCommand extends CommandResult {
  code: number | null
}

// Fixed locale and zone so tools print parseable, comparable text.
const toolEnv = { ...process.env, LC_ALL: 'C', TZ: 'UTC' }

function spawnTool(command: string, args: readonly string[], cwd?: string): Promise<FailedCommand> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: toolEnv, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs a shell tool in its own process and returns its output; a non-zero exit fails the test. */
export async function run(command: string, args: readonly string[], cwd?: string): Promise<CommandResult> {
  const result = await spawnTool(command, args, cwd)
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${result.stderr}${result.stdout.slice(0, 2000)}`)
  }
  return result
}

/** Runs a shell tool that must fail, and returns what it said. */
export async function runFailing(command: string, args: readonly string[], cwd?: string): Promise<FailedCommand> {
  const result = await spawnTool(command, args, cwd)
  if (result.code === 0) throw new Error(`${command} ${args.join(' ')} succeeded but was expected to fail\n${result.stdout.slice(0, 2000)}`)
  return result
}

/** Expects a syscall to fail with exactly this errno code. */
export async function expectErrno(operation: Promise<unknown>, code: string): Promise<void> {
  await expect(operation).rejects.toMatchObject({ code })
}

/** Expects a syscall to fail with one of these codes (POSIX leaves some choices to the filesystem). */
export async function expectOneOfErrnos(operation: Promise<unknown>, codes: readonly string[]): Promise<void> {
  const error = await operation.then(
    () => undefined,
    (caught: unknown) => caught as NodeJS.ErrnoException,
  )
  expect(error, `expected one of ${codes.join(', ')}`).toBeDefined()
  expect(codes).toContain(error?.code)
}

/** Expects equal bytes; on a mismatch says where the first difference is rather than dumping both. */
export function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return
  expect(actual.length, `${what}: length`).toBe(expected.length)
  expect(actual.findIndex((byte, i) => byte !== expected[i]), `${what}: offset of the first wrong byte`).toBe(-1)
}

export async function sha256(path: string): Promise<string> {
  const { stdout } = await run('sha256sum', ['--binary', path])
  return stdout.split(' ')[0] ?? ''
}

export interface FreshStat {
  ino: number
  nlink: number
  size: number
  mode: number
  uid: number
  gid: number
}

/**
 * stat(1) with AT_STATX_FORCE_SYNC: asks the filesystem rather than the kernel's attribute cache.
 * Needed when a change made through one name must be seen through another (hard links): the
 * kernel caches attributes per name for the mount's attribute timeout.
 */
export async function freshStat(path: string): Promise<FreshStat> {
  const { stdout } = await run('stat', ['--cached=never', '-c', '%i %h %s %f %u %g', path])
  const [ino, nlink, size, modeHex, uid, gid] = stdout.trim().split(' ')
  return { ino: Number(ino), nlink: Number(nlink), size: Number(size), mode: parseInt(modeHex ?? '', 16), uid: Number(uid), gid: Number(gid) }
}

/** Retries an assertion until it holds or the time is up (for work the kernel finishes after close). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): (below: number) => number {
  let state = seed >>> 0
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000) * below)
  }
}

/** The workspace root: the nearest directory above `from` holding pnpm-workspace.yaml. */
export function workspaceRoot(from = process.cwd()): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`)
  }
}
