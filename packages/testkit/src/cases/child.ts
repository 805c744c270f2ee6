import { spawn } from 'node:child_process'
import type { Caller, TestUser } from './types.js'

/** The environment of every child: fixed locale and zone, nothing inherited from the runner. */
export const childEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', TZ: 'UTC', HOME: '/' }

export function callerUser(caller: Caller): TestUser {
  return 'user' in caller ? caller.user : caller
}

export function callerUmask(caller: Caller): number {
  return 'user' in caller ? caller.umask : 0o022
}

/**
 * `setpriv` arguments that switch to the user's uid, gid and groups, none when not given
 * (capabilities drop for non-root at exec); the command follows.
 */
export function setprivArgs(user: { uid: number; gid: number; groups?: readonly number[] }): string[] {
  const groups = user.groups ? `--groups=${user.groups.join(',')}` : '--clear-groups'
  return [`--reuid=${user.uid}`, `--regid=${user.gid}`, groups, '--']
}

/** JSON with bigints: `{ "$bigint": "123" }` on the wire. Used on both sides (the child has its own copy). */
export function toWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v))
}

export function fromWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { $bigint?: unknown }).$bigint === 'string'
      ? BigInt((v as { $bigint: string }).$bigint)
      : v,
  )
}

/**
 * The program a child runs (node --input-type=module -e): reads { source, args, umask } as JSON
 * on stdin, sets the umask, calls the function with the ChildKit and the arguments, and writes
 * { ok, result } or { ok: false, error } as JSON on stdout.
 */
const childProgram = String.raw`
import * as fs from 'node:fs/promises'
import { constants } from 'node:fs'
const toWire = (value) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? { $bigint: v.toString() } : v))
const fromWire = (text) => JSON.parse(text, (_k, v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof v.$bigint === 'string' ? BigInt(v.$bigint) : v))
const reduce = (s) => ({ mode: Number(s.mode), uid: Number(s.uid), gid: Number(s.gid), ino: s.ino, nlink: Number(s.nlink), size: Number(s.size), blocks: Number(s.blocks), rdev: Number(s.rdev), atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs })
const kit = {
  fs,
  constants,
  errno: (operation) => operation.then(() => 'ok', (error) => { if (typeof error?.code === 'string') return error.code; throw error }),
  stat: async (path) => reduce(await fs.stat(path, { bigint: true })),
  lstat: async (path) => reduce(await fs.lstat(path, { bigint: true })),
  writeAt: async (path, data, position, flags = 'r+') => { const h = await fs.open(path, flags); try { await h.write(Buffer.from(data, 'latin1'), 0, Buffer.byteLength(data, 'latin1'), position) } finally { await h.close() } },
  readAt: async (path, position, length) => { const h = await fs.open(path, 'r'); try { const b = Buffer.alloc(length); const { bytesRead } = await h.read(b, 0, length, position); return b.subarray(0, bytesRead).toString('latin1') } finally { await h.close() } },
}
// Transpilers may wrap named functions in __name(...) calls; the function arrives without the helper.
globalThis.__name = (target) => target
let input = ''
for await (const chunk of process.stdin) input += chunk
const { source, args, umask } = fromWire(input)
process.umask(umask)
try {
  const fn = (0, eval)('(' + source + ')')
  const result = await fn(kit, ...args)
  process.stdout.write(toWire({ ok: true, result: result === undefined ? null : result }))
} catch (error) {
  process.stdout.write(toWire({ ok: false, error: { message: String(error?.message ?? error), code: error?.code, stack: String(error?.stack ?? '') } }))
}
`

export interface SpawnResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Spawns a program as the user, in /, with `input` on stdin. */
export function spawnAs(user: TestUser, command: string, args: readonly string[], input = ''): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('setpriv', [...setprivArgs(user), command, ...args], { cwd: '/', env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    // A program that does not read its input (the syscall helper) may exit before it is written.
    child.stdin.on('error', () => {})
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    child.stdin.end(input)
  })
}

/** Runs `fn` as the caller in a fresh node process; see CaseTools.as. */
export async function runAs(caller: Caller, fn: (...args: never[]) => unknown, args: readonly unknown[]): Promise<unknown> {
  const user = callerUser(caller)
  const source = fn.toString()
  const input = toWire({ source, args, umask: callerUmask(caller) })
  const result = await spawnAs(user, process.execPath, ['--input-type=module', '-e', childProgram], input)
  let reply: { ok: boolean; result?: unknown; error?: { message: string; code?: string; stack: string } }
  try {
    reply = fromWire(result.stdout) as typeof reply
  } catch {
    throw new Error(`the child running as ${user.name} gave no result (exit ${result.code ?? result.signal}):\n${result.stderr}${result.stdout}`)
  }
  if (!reply.ok) {
    const error = new Error(`in a child running as ${user.name}: ${reply.error?.message}\n${reply.error?.stack}`) as NodeJS.ErrnoException
    if (reply.error?.code) error.code = reply.error.code
    throw error
  }
  return reply.result
}
