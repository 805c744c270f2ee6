import { inject, injectable } from 'tsyringe'
import { Errno, FsError, errnoName } from './errno.js'
import type { Reply, RequestHandler } from './driver.js'
import { HotLoop, type HotLoopMode } from './hot-loop.js'
import type { Logger } from './logger.js'
import type { MountOptions } from './mount-options.js'
import type { Operations, RequestArgs, RequestName, RequestResult } from './operations.js'
import { LOGGER, MOUNT_OPTIONS, OPERATIONS } from './tokens.js'

interface Pending {
  name: RequestName
  path: unknown
  started: number
  reply: Reply<unknown>
}

const MAX_ERRNO = 4095

/**
 * Runs backend operations for a driver: every request gets exactly one reply, errors become
 * errno values, unexpected exceptions become EIO (logged once, never fatal), and requests that
 * outlive the operation timeout are answered with ETIMEDOUT (their late result is dropped).
 */
@injectable()
export class RequestDispatcher implements RequestHandler {
  private readonly hotLoop: HotLoop
  private readonly pending = new Map<number, Pending>()
  private readonly timeoutMs: number
  private readonly sweeper: NodeJS.Timeout | undefined
  private nextId = 1

  constructor(
    @inject(OPERATIONS) private readonly ops: Operations,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(MOUNT_OPTIONS) private readonly options: MountOptions,
  ) {
    this.hotLoop = new HotLoop(options.hotLoopMs, options.hotLoop)
    this.timeoutMs = options.opTimeout * 1000
    if (this.timeoutMs > 0) {
      // One sweep for all requests rather than a timer per request: timers are not free.
      this.sweeper = setInterval(() => this.expire(), Math.min(1000, this.timeoutMs / 4))
      this.sweeper.unref()
    }
  }

  /** How wake-ups are kept fast after a request (see HotLoop). */
  get hotLoopMode(): HotLoopMode {
    return this.hotLoop.mode
  }

  implements(name: RequestName): boolean {
    return typeof this.ops[name] === 'function'
  }

  dispatch<K extends RequestName>(name: K, args: RequestArgs<K>, reply: Reply<RequestResult<K>>): void {
    this.hotLoop.touch()
    const finish = (this.options.debug ? this.traced(name, args, reply) : reply) as Reply<unknown>
    const id = this.timeoutMs > 0 ? this.track(name, args[0], finish) : 0
    let result: unknown
    try {
      result = (this.ops[name] as (...a: unknown[]) => unknown).apply(this.ops, args)
    } catch (error) {
      this.settle(id, finish, this.errnoOf(name, args[0], error))
      return
    }
    if (result instanceof Promise) {
      result.then(
        (value) => this.settle(id, finish, 0, value),
        (error) => this.settle(id, finish, this.errnoOf(name, args[0], error)),
      )
    } else {
      this.settle(id, finish, 0, result)
    }
  }

  servedElsewhere(): void {
    this.hotLoop.touch()
  }

  backingFd(fh: number): number | undefined {
    try {
      const fd = this.ops.backingFd?.(fh)
      return Number.isInteger(fd) && (fd as number) >= 0 ? fd : undefined
    } catch (error) {
      // Only an optimization: the handle keeps working through read and write.
      this.logger.error(`backingFd ${fh} failed unexpectedly (reads and writes go through the backend): ${describe(error)}`)
      return undefined
    }
  }

  /** Answers every request still in flight (the mount is going away). */
  close(): void {
    if (this.sweeper) clearInterval(this.sweeper)
    this.hotLoop.close()
    for (const [id, entry] of this.pending) {
      this.pending.delete(id)
      this.safeReply(entry.reply, Errno.ENOTCONN)
    }
  }

  private track(name: RequestName, path: unknown, reply: Reply<unknown>): number {
    const id = this.nextId++
    this.pending.set(id, { name, path, started: performance.now(), reply })
    return id
  }

  private settle(id: number, reply: Reply<unknown>, errno: number, value?: unknown): void {
    if (id !== 0 && !this.pending.delete(id)) return // already answered with ETIMEDOUT
    this.safeReply(reply, errno, value)
  }

  private safeReply(reply: Reply<unknown>, errno: number, value?: unknown): void {
    try {
      reply(errno, value)
    } catch (error) {
      // A value the driver could not encode (a malformed Stat, say): the kernel must still hear back.
      this.logger.error(`reply failed: ${describe(error)}`)
      if (errno === 0) reply(Errno.EIO)
    }
  }

  private expire(): void {
    const now = performance.now()
    for (const [id, entry] of this.pending) {
      if (now - entry.started < this.timeoutMs) continue
      this.pending.delete(id)
      this.logger.warn(
        `${entry.name} ${String(entry.path)} took longer than ${this.options.opTimeout}s: answered ETIMEDOUT; its late result will be dropped`,
      )
      this.safeReply(entry.reply, Errno.ETIMEDOUT)
    }
  }

  private errnoOf(name: RequestName, path: unknown, error: unknown): number {
    if (error instanceof FsError && Number.isInteger(error.errno) && error.errno > 0 && error.errno <= MAX_ERRNO) {
      return error.errno
    }
    this.logger.error(`${name} ${String(path)} failed unexpectedly (answered EIO): ${describe(error)}`)
    return Errno.EIO
  }

  private traced<K extends RequestName>(name: K, args: RequestArgs<K>, reply: Reply<RequestResult<K>>): Reply<RequestResult<K>> {
    const started = performance.now()
    return (errno, value) => {
      const micros = Math.round((performance.now() - started) * 1000)
      const result = errno === 0 ? summarize(value) : errnoName(errno)
      this.logger.debug(`${name}(${args.map(summarize).join(', ')}) -> ${result} [${micros} µs]`)
      reply(errno, value)
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  return String(error)
}

function summarize(value: unknown): string {
  if (value === undefined) return 'ok'
  if (Buffer.isBuffer(value)) return `<${value.length} bytes>`
  if (Array.isArray(value)) return `[${value.length} entries]`
  if (typeof value === 'object' && value !== null) {
    const { mode, size } = value as { mode?: number; size?: number }
    if (mode !== undefined) return `{mode: 0o${mode.toString(8)}, size: ${size}}`
    return '{…}'
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}
