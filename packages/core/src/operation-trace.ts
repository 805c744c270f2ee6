import { errnoName, FsError } from './errno.js'
import { SetattrValid, type SetattrRequest } from './inode-operations.js'
import type { Logger } from './logger.js'
import { CallerContext } from './request-context.js'

/** Methods that answer no request: not traced. */
const UNTRACED = new Set(['init', 'destroy', 'backingFd'])

/**
 * The backend's operations with each call logged (--debug): its arguments, its result or errno,
 * and how long it took, in the backend's own terms (paths for a path backend, node ids for an
 * inode backend), whichever driver serves it.
 */
export function traceOperations<T extends object>(ops: T, logger: Logger): T {
  const traced: Record<string, unknown> = {}
  for (const name of methodNames(ops)) {
    const method = (ops as Record<string, (...args: unknown[]) => unknown>)[name] as (...args: unknown[]) => unknown
    traced[name] = UNTRACED.has(name)
      ? method.bind(ops)
      : (...args: unknown[]) => {
          const started = performance.now()
          const log = (result: string) => logger.debug(`${describeCall(name, args)} -> ${result} [${Math.round((performance.now() - started) * 1000)} µs]`)
          let result: unknown
          try {
            result = method.apply(ops, args)
          } catch (error) {
            log(outcome(error, true))
            throw error
          }
          if (!(result instanceof Promise)) {
            log(outcome(result))
            return result
          }
          return result.then(
            (value) => {
              log(outcome(value))
              return value
            },
            (error) => {
              log(outcome(error, true))
              throw error
            },
          )
        }
  }
  return traced as T
}

/** Own and inherited method names (a class instance keeps its methods on the prototype). */
function methodNames(ops: object): string[] {
  const names = new Set<string>()
  for (let o: object | null = ops; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name !== 'constructor' && typeof (ops as Record<string, unknown>)[name] === 'function') names.add(name)
    }
  }
  return [...names]
}

/** What an operation answered, or threw. */
function outcome(answer: unknown, thrown = false): string {
  if (answer instanceof FsError) return errnoName(answer.errno)
  return thrown ? `thrown ${answer instanceof Error ? answer.name : typeof answer}` : summarize(answer)
}

/** An operation with its arguments, for a log line: `mkdir(uid 1000 pid 42, 1, "dir", 493)`. */
export function describeCall(name: string, args: readonly unknown[]): string {
  return `${name}(${args.map(summarize).join(', ')})`
}

function summarize(value: unknown): string {
  if (value === undefined) return 'ok'
  if (value instanceof CallerContext) return `uid ${value.uid} pid ${value.pid}`
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`
  if (Array.isArray(value)) return `[${value.length} entries]`
  if (typeof value === 'object' && value !== null) {
    if ('valid' in value) return setattrSummary(value as SetattrRequest)
    const { mode, size, ino, attr } = value as { mode?: number; size?: number; ino?: number; attr?: { mode: number; size: number } }
    if (attr !== undefined) return `{node ${ino}, mode: 0o${attr.mode.toString(8)}, size: ${attr.size}}`
    if (mode !== undefined) return `{mode: 0o${mode.toString(8)}, size: ${size}}`
    return '{…}'
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** The fields a setattr changes: `{mode 0o600, size 0}`. */
function setattrSummary(request: SetattrRequest): string {
  const { valid } = request
  const parts: string[] = []
  if (valid & SetattrValid.MODE) parts.push(`mode 0o${request.mode.toString(8)}`)
  if (valid & SetattrValid.UID) parts.push(`uid ${request.uid}`)
  if (valid & SetattrValid.GID) parts.push(`gid ${request.gid}`)
  if (valid & SetattrValid.SIZE) parts.push(`size ${request.size}`)
  if (valid & SetattrValid.ATIME) parts.push(valid & SetattrValid.ATIME_NOW ? 'atime now' : `atime ${request.atime.sec}.${request.atime.nsec}`)
  if (valid & SetattrValid.MTIME) parts.push(valid & SetattrValid.MTIME_NOW ? 'mtime now' : `mtime ${request.mtime.sec}.${request.mtime.nsec}`)
  if (request.fh !== undefined) parts.push(`fh ${request.fh}`)
  return `{${parts.join(', ')}}`
}
