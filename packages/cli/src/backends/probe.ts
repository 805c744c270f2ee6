import { spawn } from 'node:child_process'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'

/** What loading a backend module in a child process showed. */
export type ProbeResult = { loads: true; layer: string } | { loads: false; problem: string }

const CHILD = fileURLToPath(new URL('./probe-child.js', import.meta.url))

/**
 * Loads a backend module in a child process, so that a module which hangs, exits or crashes on
 * import cannot take the caller with it. The child answers on descriptor 3: whatever the module
 * prints on its own stdout or stderr cannot be mistaken for the answer.
 */
export function probeBackend(file: string, where: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, file, where], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] })
    const answers = child.stdio[3] as Readable
    let answer = ''
    let stderr = ''
    answers.setEncoding('utf8').on('data', (text: string) => (answer += text))
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4096)))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ loads: false, problem: `still loading after ${timeoutMs / 1000} s (does it wait for something at import?)` })
    }, timeoutMs)
    child.once('error', (error) => {
      clearTimeout(timer)
      resolve({ loads: false, problem: error.message })
    })
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      if (answer !== '') return resolve(parseAnswer(answer))
      const lastLine = stderr.trim().split('\n').pop()
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`
      resolve({ loads: false, problem: `the process loading it ${how}${lastLine ? `: ${lastLine}` : ''}` })
    })
  })
}

function parseAnswer(answer: string): ProbeResult {
  try {
    return JSON.parse(answer) as ProbeResult
  } catch {
    return { loads: false, problem: `unreadable answer from the process loading it: ${answer.slice(0, 200)}` }
  }
}
