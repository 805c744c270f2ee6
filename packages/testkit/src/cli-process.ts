import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import { setprivArgs } from './cases/child.js'

/**
 * Absolute path of the `fusekit` command the kit runs: $FUSEKIT_CLI when set (another install of
 * the CLI, such as a global one), else the bin of the @fusekit/cli package installed beside the
 * kit (a peer dependency: the kit runs whichever CLI the project has).
 */
export function cliPath(): string {
  const chosen = process.env.FUSEKIT_CLI
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`FUSEKIT_CLI is ${chosen}, which does not exist`)
    return resolve(chosen)
  }
  let manifestPath: string
  try {
    manifestPath = createRequire(import.meta.url).resolve('@fusekit/cli/package.json')
  } catch {
    throw new Error('@fusekit/testkit runs the fusekit CLI, and @fusekit/cli is not installed: npm install --save-dev @fusekit/cli')
  }
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: { fusekit: string } }
  const path = resolve(dirname(manifestPath), bin.fusekit)
  if (!existsSync(path)) throw new Error(`${path} is missing: build the CLI first (pnpm --filter @fusekit/cli build)`)
  return path
}

export interface RunCliOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Kill the process and fail after this long (default 30 s). */
  timeoutMs?: number
  /** Run as this ordinary user (setpriv; no supplementary groups unless given) instead of the test's own. */
  user?: { uid: number; gid: number; groups?: readonly number[] }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `fusekit <args>` in a child process and collects its output. */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 30_000
  return new Promise((resolvePromise, reject) => {
    const { user } = options
    const argv = [process.execPath, cliPath(), ...args]
    const [command, commandArgs] = user ? ['setpriv', [...setprivArgs(user), ...argv]] : [argv[0]!, argv.slice(1)]
    const child = spawn(command, commandArgs, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`fusekit ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}
