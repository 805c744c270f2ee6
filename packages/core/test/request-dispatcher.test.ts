import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { Errno, FsError } from '../src/errno.js'
import type { Logger } from '../src/logger.js'
import { resolveMountOptions, type MountOptions } from '../src/mount-options.js'
import type { Operations, RequestName } from '../src/operations.js'
import { CallerContext } from '../src/request-context.js'
import { RequestDispatcher } from '../src/request-dispatcher.js'
import type { Stat } from '../src/types.js'

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const log = (m: string) => void lines.push(m)
  return { level: 'debug', lines, debug: log, info: log, warn: log, error: log }
}

function dispatcher(ops: Partial<Operations>, options: Partial<MountOptions> = {}) {
  const logger = recordingLogger()
  const full = { getattr: async () => { throw new FsError('ENOENT') }, ...ops } as Operations
  const d = new RequestDispatcher<Operations, RequestName>(full, logger, resolveMountOptions(options))
  return { d, logger }
}

type PathDispatcher = RequestDispatcher<Operations, RequestName>
const ctx = () => new CallerContext(1000, 100, 42)

/** Dispatches `name` with a fresh caller context before `args`. */
function call<T>(d: PathDispatcher, name: RequestName, args: unknown[], context = ctx()) {
  return new Promise<{ errno: number; value?: T; replies: number }>((resolve) => {
    let replies = 0
    d.dispatch(name, [context, ...args] as never, (errno, value) => {
      replies++
      resolve({ errno, value: value as T, get replies() { return replies } })
    })
  })
}

describe('RequestDispatcher', () => {
  it('answers a result with errno 0', async () => {
    const { d } = dispatcher({ readlink: async () => 'target' })
    expect(await call(d, 'readlink', ['/l'])).toMatchObject({ errno: 0, value: 'target' })
  })

  it('answers an FsError with its errno', async () => {
    const { d, logger } = dispatcher({ unlink: async () => { throw new FsError('EISDIR') } })
    expect((await call(d, 'unlink', ['/d'])).errno).toBe(Errno.EISDIR)
    expect(logger.lines).toEqual([])
  })

  it('answers an FsError returned instead of thrown with its errno, at once or later', async () => {
    const ops = { getattr: () => FsError.of('ENOENT'), getxattr: async () => FsError.of('ENODATA') } as unknown as Partial<Operations>
    const { d, logger } = dispatcher(ops)
    expect(await call(d, 'getattr', ['/missing'])).toMatchObject({ errno: Errno.ENOENT, value: undefined })
    expect(await call(d, 'getxattr', ['/f', 'security.capability'])).toMatchObject({ errno: Errno.ENODATA, value: undefined })
    expect(logger.lines).toEqual([])
  })

  it('answers EIO for a rejected plain Error and logs it once with operation and path', async () => {
    const { d, logger } = dispatcher({ rmdir: async () => { throw new Error('boom') } })
    expect((await call(d, 'rmdir', ['/x'])).errno).toBe(Errno.EIO)
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatch(/^rmdir\(uid 1000 pid 42, "\/x"\) failed unexpectedly \(answered EIO\): Error: boom/)
  })

  it('answers EIO for a synchronous throw instead of crashing', async () => {
    const ops = { mkdir: () => { throw new TypeError('not a promise') } } as unknown as Partial<Operations>
    const { d } = dispatcher(ops)
    expect((await call(d, 'mkdir', ['/x', 0o755])).errno).toBe(Errno.EIO)
  })

  it('answers EIO for an FsError whose errno is out of range', async () => {
    const { d } = dispatcher({ rmdir: async () => { throw new FsError(99999) } })
    expect((await call(d, 'rmdir', ['/x'])).errno).toBe(Errno.EIO)
  })

  it('accepts a backend that returns a plain value', async () => {
    const ops = { readlink: () => 'plain' } as unknown as Partial<Operations>
    const { d } = dispatcher(ops)
    expect(await call(d, 'readlink', ['/l'])).toMatchObject({ errno: 0, value: 'plain' })
  })

  it('answers ETIMEDOUT once after the operation timeout and drops the late result', async () => {
    let finish!: () => void
    const { d, logger } = dispatcher({ fsync: () => new Promise<void>((r) => (finish = r)) }, { opTimeout: 0.05 })
    const replies: number[] = []
    const first = new Promise<void>((resolve) => d.dispatch('fsync', [ctx(), '/f', false, 1], (errno) => { replies.push(errno); resolve() }))
    await first
    finish()
    await new Promise((r) => setTimeout(r, 20))
    expect(replies).toEqual([Errno.ETIMEDOUT])
    expect(logger.lines.join('\n')).toMatch(/fsync\(uid 1000 pid 42, "\/f", false, 1\) took longer than 0.05s: answered ETIMEDOUT; its effect may still land/)
    d.close()
  })

  it('answers requests still in flight with ENOTCONN on close, and aborts their signal', async () => {
    const aborted: unknown[] = []
    const { d } = dispatcher({ flush: (c) => new Promise<void>(() => c.signal.addEventListener('abort', () => aborted.push(c.signal.reason))) })
    const pending = call(d, 'flush', ['/f', 1])
    d.close()
    expect((await pending).errno).toBe(Errno.ENOTCONN)
    expect(aborted).toEqual([expect.objectContaining({ code: 'ENOTCONN' })])
  })

  it('sets no operation timeout by default', async () => {
    let finish!: (value: string) => void
    const { d } = dispatcher({ readlink: () => new Promise<string>((r) => (finish = r)) })
    const pending = call(d, 'readlink', ['/slow'])
    await new Promise((r) => setTimeout(r, 1200))
    finish('late but answered')
    expect(await pending).toMatchObject({ errno: 0, value: 'late but answered' })
  })

  it('still replies when the driver cannot encode a value', async () => {
    const { d, logger } = dispatcher({ getattr: async () => ({}) as Stat })
    const errnos: number[] = []
    await new Promise<void>((resolve) =>
      d.dispatch('getattr', [ctx(), '/'], (errno) => {
        errnos.push(errno)
        if (errno === 0) throw new Error('cannot encode')
        resolve()
      }),
    )
    expect(errnos).toEqual([0, Errno.EIO])
    expect(logger.lines[0]).toMatch(/reply failed/)
  })

  it('knows which operations the backend implements', () => {
    const { d } = dispatcher({ read: async () => 0 })
    expect(d.implements('read')).toBe(true)
    expect(d.implements('write')).toBe(false)
  })
})
