import { describe, expect, it } from 'vitest'
import { FsError } from '../src/errno.js'
import { SetattrValid } from '../src/inode-operations.js'
import { traceOperations } from '../src/operation-trace.js'
import { CallerContext } from '../src/request-context.js'

function recordingLogger() {
  const lines: string[] = []
  const log = (m: string) => void lines.push(m)
  return { level: 'debug' as const, lines, debug: log, info: log, warn: log, error: log }
}

class Backend {
  value = 'x'
  async readlink(_ctx: CallerContext, path: string): Promise<string> {
    return `${this.value}${path}`
  }
  async unlink(): Promise<void> {
    throw new FsError('ENOENT')
  }
  lookup(): FsError {
    return FsError.of('ENOENT')
  }
  async setattr(): Promise<{ ino: number; attr: { mode: number; size: number } }> {
    return { ino: 5, attr: { mode: 0o100600, size: 7 } }
  }
  backingFd(): number {
    return 3
  }
}

describe('traceOperations', () => {
  it('logs each call of the backend with its caller, arguments, result or errno, and latency; methods keep their this', async () => {
    const logger = recordingLogger()
    const traced = traceOperations(new Backend(), logger)
    const ctx = new CallerContext(1000, 100, 42)
    expect(await traced.readlink(ctx, '/a')).toBe('x/a')
    await expect(traced.unlink()).rejects.toMatchObject({ code: 'ENOENT' })
    await traced.setattr()
    expect(traced.lookup()).toBe(FsError.of('ENOENT'))
    expect(logger.lines[0]).toMatch(/^readlink\(uid 1000 pid 42, "\/a"\) -> "x\/a" \[\d+ µs\]$/)
    expect(logger.lines[1]).toMatch(/^unlink\(\) -> ENOENT \[\d+ µs\]$/)
    expect(logger.lines[2]).toMatch(/^setattr\(\) -> \{node 5, mode: 0o100600, size: 7\} \[\d+ µs\]$/)
    expect(logger.lines[3]).toMatch(/^lookup\(\) -> ENOENT \[\d+ µs\]$/)
  })

  it('shows the fields a setattr changes, and leaves queries that answer no request untraced', () => {
    const logger = recordingLogger()
    const traced = traceOperations({ setattr: (_r: unknown) => undefined, backingFd: () => 3 }, logger)
    traced.setattr({ valid: SetattrValid.MODE | SetattrValid.MTIME | SetattrValid.MTIME_NOW, mode: 0o640, mtime: { sec: 1, nsec: 2 } })
    expect(traced.backingFd()).toBe(3)
    expect(logger.lines).toEqual([expect.stringMatching(/^setattr\(\{mode 0o640, mtime now\}\) -> ok/)])
  })
})
