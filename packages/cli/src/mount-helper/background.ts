import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'
import { DAEMON_SCRIPT, READY, type DaemonRequest } from './daemon-protocol.js'

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** Where a mount's output goes unless `-o log=<file>` says: /var/log/fusekit/<mountpoint as in systemd unit names>.log. */
export function defaultLogFile(mountpoint: string): string {
  const escaped = mountpoint.replace(/^\/+|\/+$/g, '').replace(/\/+/g, '-')
  return `/var/log/fusekit/${escaped || '-'}.log`
}

export interface BackgroundMount extends DaemonRequest {
  /** Shown in `ps` after the daemon's script. */
  label: string[]
  logFile: string
  /** Passes on what the mount prints before it is up, as it comes. */
  onOutput: (chunk: string) => void
}

/**
 * Starts `fusekit mount` in a session of its own, its output appended to the log file, and
 * resolves once it is mounted (0) or with its exit code once it has failed. The process goes on
 * serving after the caller exits; unmounting the mountpoint ends it.
 */
export async function mountInBackground(request: BackgroundMount): Promise<number> {
  mkdirSync(dirname(request.logFile), { recursive: true, mode: 0o750 })
  const log = openSync(request.logFile, 'a', 0o640)
  // The daemon leaves the caller's directory: it must not keep a filesystem busy. mount(8) runs
  // helpers without PATH, and the mount looks for fusermount on it.
  const env = { ...process.env, PATH: process.env.PATH ?? SYSTEM_PATH }
  const child = spawn(process.execPath, [DAEMON_SCRIPT, ...request.label], { detached: true, cwd: '/', env, stdio: ['pipe', log, log, 'pipe'] })
  closeSync(log)
  const exited = new Promise<number>((resolve) => {
    child.once('error', (error) => {
      request.onOutput(`fusekit: error: cannot start the mount process: ${error.message}\n`)
      resolve(1)
    })
    child.once('exit', (code) => resolve(code ?? 1))
  })
  const daemonRequest: DaemonRequest = { argv: request.argv, cwd: request.cwd }
  child.stdin?.end(JSON.stringify(daemonRequest))

  // The status stream ends when the daemon is mounted (after READY) or has exited.
  let status = ''
  const statusStream = child.stdio[3] as Readable
  statusStream.setEncoding('utf8').on('data', (chunk: string) => {
    status += chunk
    const printable = chunk.replace(READY, '')
    if (printable !== '') request.onOutput(printable)
  })
  await new Promise<void>((resolve) => {
    statusStream.once('close', resolve)
    child.once('error', () => resolve())
  })
  if (status.endsWith(READY)) {
    child.unref()
    return 0
  }
  return exited
}
