import { Errno, FsError } from './errno.js'
import type { ArgsOf, Reply, RequestHandler, ResultOf } from './driver.js'
import { HotLoop, type HotLoopMode } from './hot-loop.js'
import type { Logger } from './logger.js'
import type { MountOptions } from './mount-options.js'
import { describeCall as call } from './operation-trace.js'
import { CallerContext } from './request-context.js'

interface Pending {
  name: string
  args: readonly unknown[]
  started: number
  reply: Reply<unknown>
}

const MAX_ERRNO = 4095

/**
 * Runs backend operations for a driver, whichever layer they are: every request gets exactly one
 * reply, errors become errno values, unexpected exceptions become EIO (logged once with the
 * operation, never fatal). When the mount goes down, requests in flight have their signal
 * aborted and are answered ENOTCONN. With `opTimeout`, a request that outlives it is answered
 * ETIMEDOUT (its late result is dropped; its effect may still land).
 */
export class RequestDispatcher<Ops extends object, Name extends keyof Ops & string> implements RequestHandler<Ops, Name> {
  private readonly hotLoop: HotLoop
  private readonly pending = new Map<number, Pending>()
  private readonly timeoutMs: number
  private readonly sweeper: NodeJS.Timeout | undefined
  private nextId = 1

  constructor(
    private readonly ops: Ops,
    private readonly logger: Logger,
    private readonly options: MountOptions,
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

  implements(name: Name): boolean {
    return typeof this.ops[name] === 'function'
  }

  dispatch<K extends Name>(name: K, args: ArgsOf<Ops, K>, reply: Reply<ResultOf<Ops, K>>): Promise<unknown> | undefined {
    this.hotLoop.touch()
    const started = this.timeoutMs > 0 ? performance.now() : 0
    let result: unknown
    try {
      result = (this.ops[name] as (...a: unknown[]) => unknown).apply(this.ops, args)
    } catch (error) {
      this.safeReply(reply as Reply<unknown>, this.errnoOf(name, args, error))
      return undefined
    }
    // Answered synchronously: nothing to time out or abort, so it is never pending.
    if (!(result instanceof Promise)) {
      if (result instanceof FsError) this.safeReply(reply as Reply<unknown>, this.errnoOf(name, args, result))
      else this.safeReply(reply as Reply<unknown>, 0, result)
      return undefined
    }
    const id = this.nextId++
    this.pending.set(id, { name, args, started, reply: reply as Reply<unknown> })
    result.then(
      (value) => (value instanceof FsError ? this.settle(id, this.errnoOf(name, args, value)) : this.settle(id, 0, value)),
      (error) => this.settle(id, this.errnoOf(name, args, error)),
    )
    return result
  }

  forget(ino: number, nlookup: number): void {
    const ops = this.ops as { forget?: (ino: number, nlookup: number) => void }
    if (!ops.forget) return
    try {
      ops.forget(ino, nlookup)
    } catch (error) {
      this.logger.error(`forget(${ino}, ${nlookup}) failed unexpectedly: ${describe(error)}`)
    }
  }

  servedElsewhere(): void {
    this.hotLoop.touch()
  }

  get hasBackingFiles(): boolean {
    return typeof (this.ops as { backingFd?: unknown }).backingFd === 'function'
  }

  flushNeeded(ino: number, fh: number): boolean {
    try {
      return (this.ops as { flushNeeded?: (ino: number, fh: number) => boolean }).flushNeeded?.(ino, fh) ?? true
    } catch (error) {
      this.logger.error(`flushNeeded ${ino} ${fh} failed unexpectedly (closes of it are flushed): ${describe(error)}`)
      return true
    }
  }

  backingFd(fh: number): number | undefined {
    try {
      const fd = (this.ops as { backingFd?: (fh: number) => number | undefined }).backingFd?.(fh)
      return Number.isInteger(fd) && (fd as number) >= 0 ? fd : undefined
    } catch (error) {
      // Only an optimization: the handle keeps working through read and write.
      this.logger.error(`backingFd ${fh} failed unexpectedly (reads and writes go through the backend): ${describe(error)}`)
      return undefined
    }
  }

  /** The mount is going away: every request in flight is aborted and answered ENOTCONN. */
  close(): void {
    if (this.sweeper) clearInterval(this.sweeper)
    this.hotLoop.close()
    for (const [id, entry] of this.pending) {
      this.pending.delete(id)
      contextOf(entry.args)?.abort(new FsError('ENOTCONN', 'the mount is going away'))
      this.safeReply(entry.reply, Errno.ENOTCONN)
    }
  }

  private settle(id: number, errno: number, value?: unknown): void {
    const entry = this.pending.get(id)
    if (!entry) return // already answered (ETIMEDOUT, or the mount went away)
    this.pending.delete(id)
    this.safeReply(entry.reply, errno, value)
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
        `${call(entry.name, entry.args)} took longer than ${this.options.opTimeout}s: answered ETIMEDOUT; its effect may still land, its late result is dropped`,
      )
      this.safeReply(entry.reply, Errno.ETIMEDOUT)
    }
  }

  private errnoOf(name: string, args: readonly unknown[], error: unknown): number {
    if (error instanceof FsError && Number.isInteger(error.errno) && error.errno > 0 && error.errno <= MAX_ERRNO) {
      return error.errno
    }
    this.logger.error(`${call(name, args)} failed unexpectedly (answered EIO): ${describe(error)}`)
    return Errno.EIO
  }
}

function contextOf(args: readonly unknown[]): CallerContext | undefined {
  return args[0] instanceof CallerContext ? args[0] : undefined
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`
  return String(error)
}
