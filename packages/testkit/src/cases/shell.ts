import { execFile } from 'node:child_process'

/** Shell tools for the cases, run from the runner's process as its user (root). */

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

/** Runs a shell tool in its own process and returns its output; a non-zero exit throws. */
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
 * Needed when a change made through one name must be seen through another on a mount without
 * coherentLinks: the kernel caches attributes per name for the mount's attribute timeout.
 */
export async function freshStat(path: string): Promise<FreshStat> {
  const { stdout } = await run('stat', ['--cached=never', '-c', '%i %h %s %f %u %g', path])
  const [ino, nlink, size, modeHex, uid, gid] = stdout.trim().split(' ')
  return { ino: Number(ino), nlink: Number(nlink), size: Number(size), mode: parseInt(modeHex ?? '', 16), uid: Number(uid), gid: Number(gid) }
}

/** Retries a check until it holds or the time is up (for work the kernel finishes after close). */
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
