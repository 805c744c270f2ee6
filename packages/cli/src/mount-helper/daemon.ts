import { closeSync, writeSync } from 'node:fs'
import { text } from 'node:stream/consumers'
import { runCli } from '../cli.js'
import { READY, STATUS_FD, type DaemonRequest } from './daemon-protocol.js'

// Started by mount.fusekit as `node daemon.js <spec> <mountpoint>` (what ps shows) in its own
// session, with its stdout and stderr on the log; the request comes on stdin.
let statusOpen = true
const toStatus = (chunk: string) => {
  if (!statusOpen) return
  try {
    writeSync(STATUS_FD, chunk)
  } catch {
    // mount.fusekit is gone (killed, or timed out by mount(8)): the log still gets everything.
    statusOpen = false
  }
}
const toLog = (chunk: string) => process.stderr.write(`${new Date().toISOString()} ${chunk}`)
const print = (chunk: string) => {
  toLog(chunk)
  toStatus(chunk)
}

let request: DaemonRequest
try {
  request = JSON.parse(await text(process.stdin)) as DaemonRequest
} catch (error) {
  print(`fusekit: error: no mount request on stdin (this program is started by mount.fusekit): ${(error as Error).message}\n`)
  process.exit(1)
}
const code = await runCli(request.argv, {
  cwd: request.cwd,
  stdout: print,
  stderr: print,
  onMounted: () => {
    toStatus(READY)
    if (statusOpen) closeSync(STATUS_FD)
    statusOpen = false
  },
})
// Exit explicitly: a mount's native handles would otherwise keep the process alive after unmounting.
process.exit(code)
