import { execFile } from 'node:child_process'
import { chmod, chown, lstat, mkdir, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { callerUser, runAs, spawnAs, callerUmask } from './child.js'
import { capabilityProblems } from './capability-rules.js'
import { writeSampleTree } from './sample-tree.js'
import { buildSyscallHelper, parseHelperAnswer } from './syscall-helper.js'
import { posixCases } from './table.js'
import { ensureTestUsers } from './users.js'
import type { Caller, Capability, CaseTools, ChildKit, PosixCase, StatResult, TestGroups, TestUsers, TimeSpec } from './types.js'
import { assertErrno, assertMode, assertOwner, assertTime, assertAfter } from './assertions.js'

const reduce = (s: import('node:fs').BigIntStats): StatResult => ({
  mode: Number(s.mode), uid: Number(s.uid), gid: Number(s.gid), ino: s.ino, nlink: Number(s.nlink), size: Number(s.size),
  blocks: Number(s.blocks), rdev: Number(s.rdev), atimeNs: s.atimeNs, mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs,
})

/** seconds:nanoseconds, nanoseconds in [0, 1e9) also for times before 1970. */
function wireTime(time: TimeSpec): string {
  if (typeof time !== 'bigint') return time
  const nanos = ((time % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n
  return `${(time - nanos) / 1_000_000_000n}:${nanos}`
}
const toHex = (text: string) => Buffer.from(text, 'latin1').toString('hex')
const fromHex = (hex: string) => Buffer.from(hex, 'hex').toString('latin1')

function kernelPageSize(): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('getconf', ['PAGESIZE'], (error, stdout) => (error ? reject(error) : resolve(Number(stdout.trim()))))
  })
}

/** The assertion helpers, also on the tools for cases written elsewhere. */
export const caseAssertions = { mode: assertMode, owner: assertOwner, errno: assertErrno, time: assertTime, after: assertAfter }

/** The tools for one mount; `dispose` removes the syscall helper built for them. */
export interface PreparedCaseTools extends CaseTools {
  readonly assert: typeof caseAssertions
  dispose(): void
}

/**
 * Makes the tools for a mount: creates the test users if needed, builds the syscall helper (gcc)
 * and, with otherUsers, checks that every test user can reach `mountDir` (its parents need o+x:
 * mkdtemp makes 0700 directories; a FUSE mount needs allow_other). Needs root. Call `dispose` when done.
 */
export async function prepareCaseTools(mountDir: string, capabilities: Iterable<Capability>): Promise<PreparedCaseTools> {
  if (process.getuid?.() !== 0) throw new Error('the POSIX cases need root (they switch users with setpriv and create users)')
  const problems = capabilityProblems(new Set(capabilities))
  if (problems.length > 0) throw new Error(`inconsistent capabilities: ${problems.join('; ')}`)
  const [{ users, groups }, pageSize] = await Promise.all([ensureTestUsers(), kernelPageSize()])
  const built = await buildSyscallHelper()
  try {
    return await assembleTools(mountDir, capabilities, users, groups, pageSize, built.path, built.dispose)
  } catch (error) {
    built.dispose()
    throw error
  }
}

async function assembleTools(
  mountDir: string, capabilities: Iterable<Capability>, users: TestUsers, groups: TestGroups, pageSize: number, helper: string, dispose: () => void,
): Promise<PreparedCaseTools> {
  const callHelper = async (caller: Parameters<CaseTools['run']>[0], args: string[]) => {
    const result = await spawnAs(callerUser(caller), 'sh', ['-c', `umask ${callerUmask(caller).toString(8)} && exec "$@"`, 'sh', helper, ...args])
    if (result.code !== 0) throw new Error(`fusekit-syscall ${args.join(' ')} exited with ${result.code}: ${result.stderr}`)
    return parseHelperAnswer(result.stdout, `${args[0]} ${args[1]}`)
  }
  const answerErrno = (answer: { value: string } | { errno: string }) => ('errno' in answer ? answer.errno : 'ok')
  const numberOr = (answer: { value: string } | { errno: string }) => ('errno' in answer ? answer.errno : Number(answer.value))

  const have = new Set(capabilities)
  const tools = {
    users,
    groups,
    capabilities: have,
    pageSize,
    mountDir,
    sample: async (dir) => {
      if (!have.has('writable')) return mountDir
      await writeSampleTree(dir, have)
      return dir
    },
    assert: caseAssertions,
    dispose,
    as: <A extends unknown[], R>(caller: Caller, fn: (kit: ChildKit, ...args: A) => Promise<R> | R, ...args: A) =>
      runAs(caller, fn as (...a: never[]) => unknown, args) as Promise<R>,
    run: async (caller, command, args) => {
      const result = await spawnAs(callerUser(caller), 'sh', ['-c', `umask ${callerUmask(caller).toString(8)} && exec "$@"`, 'sh', command, ...args])
      return { code: result.code, stdout: result.stdout, stderr: result.stderr }
    },
    utimens: async (caller, path, times) =>
      answerErrno(await callHelper(caller, times === null ? ['utimens', path, 'null'] : ['utimens', path, wireTime(times[0]), wireTime(times[1])])),
    fallocate: async (caller, path, mode, offset, length) => answerErrno(await callHelper(caller, ['fallocate', path, String(mode), String(offset), String(length)])),
    seek: async (caller, path, whence, offset) => numberOr(await callHelper(caller, ['seek', path, whence, String(offset)])),
    copyFileRange: async (caller, from, to, length) =>
      numberOr(await callHelper(caller, ['copy', from.path, String(from.offset), to.path, String(to.offset), String(length)])),
    rename: async (caller, from, to, flags) => answerErrno(await callHelper(caller, ['rename', from, to, String(flags)])),
    mknod: async (caller, path, mode, major = 0, minor = 0) => answerErrno(await callHelper(caller, ['mknod', path, String(mode), String(major), String(minor)])),
    setxattr: async (caller, path, name, value, options) =>
      answerErrno(await callHelper(caller, ['setxattr', path, name, toHex(value), options?.noFollow ? 'nofollow' : 'follow'])),
    getxattr: async (caller, path, name, options) => {
      const answer = await callHelper(caller, ['getxattr', path, name, options?.noFollow ? 'nofollow' : 'follow'])
      return 'errno' in answer ? answer : { value: fromHex(answer.value) }
    },
    removexattr: async (caller, path, name) => answerErrno(await callHelper(caller, ['removexattr', path, name])),
    listxattr: async (caller, path) => {
      const answer = await callHelper(caller, ['listxattr', path])
      return 'errno' in answer ? answer : { names: fromHex(answer.value).split('\0').filter(Boolean).sort() }
    },
    make: async (path, spec = {}) => {
      if (spec.directory) await mkdir(path)
      else await writeFile(path, spec.content ?? '', { flag: 'wx' })
      await chown(path, spec.uid ?? 0, spec.gid ?? 0)
      await chmod(path, spec.mode ?? (spec.directory ? 0o755 : 0o644))
    },
    stat: async (path) => reduce(await stat(path, { bigint: true })),
    lstat: async (path) => reduce(await lstat(path, { bigint: true })),
    tick: (ms = 20) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  } satisfies PreparedCaseTools

  // Every user must reach a mount that lets them in: a 0700 parent makes every case fail with a puzzling EACCES.
  const reach = have.has('otherUsers') ? await tools.as(users.nobody, ({ errno, fs }, path: string) => errno(fs.access(path)), mountDir) : 'ok'
  if (reach !== 'ok') {
    const blocking: string[] = []
    for (let dir = mountDir; dirname(dir) !== dir; dir = dirname(dir)) {
      if (((await stat(dir)).mode & 0o001) === 0) blocking.push(dir)
    }
    throw new Error(`nobody cannot reach ${mountDir} (${reach}): chmod o+x ${blocking.join(' ') || 'the path'}, and mount with allow_other`)
  }
  return tools
}

/** The capabilities a case needs that the mount lacks, and those it must lack that the mount has. */
export function unmetCapabilities(testCase: Pick<PosixCase, 'needs' | 'unless'>, capabilities: ReadonlySet<Capability>): { missing: Capability[]; present: Capability[] } {
  return {
    missing: (testCase.needs ?? []).filter((c) => !capabilities.has(c)),
    present: (testCase.unless ?? []).filter((c) => capabilities.has(c)),
  }
}

/** Why the case does not run on this mount, or undefined when it does. */
export function skipReason(testCase: Pick<PosixCase, 'needs' | 'unless'>, capabilities: ReadonlySet<Capability>): string | undefined {
  const { missing, present } = unmetCapabilities(testCase, capabilities)
  const reasons = [...(missing.length ? [`needs ${missing.join(', ')}`] : []), ...(present.length ? [`checks a mount without ${present.join(', ')}`] : [])]
  return reasons.length ? reasons.join('; ') : undefined
}

/** A directory name for the case: its name reduced to [A-Za-z0-9_-], at most 100 characters. */
export function caseSlug(testCase: Pick<PosixCase, 'name'>): string {
  return testCase.name.replace(/[^\w-]+/g, '-').slice(0, 100)
}

/**
 * Runs one case: on a writable mount in a fresh directory `<mountDir>/<slug>` (mode 0777, owned
 * by root:root), on a read-only one at the mount's root.
 */
export async function runPosixCase(testCase: PosixCase, mountDir: string, tools: CaseTools): Promise<void> {
  if (!tools.capabilities.has('writable')) return testCase.run(mountDir, tools)
  const dir = join(mountDir, caseSlug(testCase))
  await mkdir(dir)
  await chmod(dir, 0o777)
  await chown(dir, 0, 0)
  await testCase.run(dir, tools)
}

/** What happened to one case in runPosixCases. */
export type CaseResult =
  | { name: string; status: 'passed'; ms: number }
  | { name: string; status: 'failed'; ms: number; error: unknown }
  | { name: string; status: 'skipped'; reason: string }

/**
 * Runs cases one after the other with `run`, skipping those the capabilities rule out; `onResult`
 * sees each result as it comes (for progress output). The loop of both tiers.
 */
export async function runCaseList<C extends Pick<PosixCase, 'name' | 'needs' | 'unless'>>(
  cases: readonly C[],
  capabilities: ReadonlySet<Capability>,
  run: (testCase: C) => Promise<void>,
  onResult?: (result: CaseResult) => void,
): Promise<CaseResult[]> {
  const results: CaseResult[] = []
  for (const testCase of cases) {
    const reason = skipReason(testCase, capabilities)
    const started = Date.now()
    let result: CaseResult
    if (reason) result = { name: testCase.name, status: 'skipped', reason }
    else {
      try {
        await run(testCase)
        result = { name: testCase.name, status: 'passed', ms: Date.now() - started }
      } catch (error) {
        result = { name: testCase.name, status: 'failed', ms: Date.now() - started, error }
      }
    }
    results.push(result)
    onResult?.(result)
  }
  return results
}

/**
 * Runs the cases one after the other against a mounted directory, without any test framework:
 * prepares the tools, runs each case the mount can run in its own directory, disposes the tools.
 * Needs root.
 */
export async function runPosixCases(
  mountDir: string,
  capabilities: Iterable<Capability>,
  options: { cases?: readonly PosixCase[]; onResult?: (result: CaseResult) => void } = {},
): Promise<CaseResult[]> {
  const tools = await prepareCaseTools(mountDir, capabilities)
  try {
    return await runCaseList(options.cases ?? posixCases, tools.capabilities, (testCase) => runPosixCase(testCase, mountDir, tools), options.onResult)
  } finally {
    tools.dispose()
  }
}
