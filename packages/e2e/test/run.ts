import { spawn } from 'node:child_process'

export interface RunResult {
  /** The exit code, or null when killed by a signal (the timeout's, say). */
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Killed (SIGKILL) past this. */
  timeoutMs: number
  /** A command that runs the given one, such as a namespace wrapper (test/without-libfuse.ts). */
  via?: readonly string[]
}

/** Runs a command to its end and resolves with its exit code and output, whatever the code. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const [program, ...programArgs] = [...(options.via ?? []), command, ...args] as [string, ...string[]]
  return new Promise((resolve, reject) => {
    const child = spawn(program, programArgs, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
