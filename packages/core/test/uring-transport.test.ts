import 'reflect-metadata'
import { execFile, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { InodeOperations, InodeRequestName } from '../src/inode-operations.js'
import { KernelSession } from '../src/lowlevel/kernel-session.js'
import { InitFlag, InitFlag2, Opcode, writeU64 } from '../src/lowlevel/protocol.js'
import type { SessionAddon } from '../src/lowlevel/session-addon.js'
import { URING_SWITCH, possibleCpuCount, ringPayloadSize, uringRefusal, uringSwitch } from '../src/lowlevel/uring-availability.js'
import { UringTransport } from '../src/lowlevel/uring-transport.js'
import { resolveMountOptions } from '../src/mount-options.js'
import { RequestDispatcher } from '../src/request-dispatcher.js'

const run = promisify(execFile)

function recordingLogger() {
  const lines: string[] = []
  const at = (level: string) => (m: string) => void lines.push(`${level}: ${m}`)
  return { level: 'debug' as const, lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

/** The addon's io_uring calls, recorded; uringOpen fails with `openError` when given. */
function fakeAddon(openError?: NodeJS.ErrnoException) {
  const calls: string[] = []
  let onRequest: ((request: Buffer | number) => void) | undefined
  const addon = {
    uringOpen: (fd: number, queues: number, depth: number, payload: number) => {
      calls.push(`open ${fd} ${queues} ${depth} ${payload}`)
      if (openError) throw openError
      return { ring: true }
    },
    uringStart: (_ring: object, session: { poll: number }, callback: (request: Buffer | number) => void, served: () => void) =>
      void (calls.push(`start ${session.poll}`), (onRequest = callback), served()),
    uringReply: (_ring: object, reply: Buffer) => (calls.push(`reply ${reply.length}`), true),
    uringStop: () => void calls.push('stop'),
  } as unknown as SessionAddon
  return { addon, calls, deliver: (request: Buffer | number) => onRequest?.(request) }
}

/** fuse_init_in of protocol 7.40 with FUSE_INIT_EXT, the flags2 given, and its 11 unused words. */
function initRequest(flags2: number): Buffer {
  const body = Buffer.alloc(64)
  body.writeUInt32LE(7, 0)
  body.writeUInt32LE(40, 4)
  body.writeUInt32LE(131072, 8)
  body.writeUInt32LE(InitFlag.INIT_EXT | InitFlag.ASYNC_READ, 12)
  body.writeUInt32LE(flags2, 16)
  const header = Buffer.alloc(40)
  header.writeUInt32LE(40 + body.length, 0)
  header.writeUInt32LE(Opcode.INIT, 4)
  writeU64(header, 8, 1)
  return Buffer.concat([header, body])
}

/** The INIT reply of a session given `uring` (a transport accepting or not), and what the transport was asked. */
async function negotiate(offered: number, accepts: boolean | undefined, backing = false) {
  const asked: Array<[boolean, number]> = []
  const uring = accepts === undefined ? undefined : ({ accept: (o: boolean, size: number) => (asked.push([o, size]), accepts) } as unknown as UringTransport)
  const registry = backing ? { open: () => 1, close: () => {} } : undefined
  const options = resolveMountOptions({ driver: 'lowlevel' })
  const logger = recordingLogger()
  // Passthrough is asked for only for a backend with backing files.
  const ops = { getattr: async () => { throw new Error('unused') }, ...(backing ? { backingFd: () => undefined } : {}) }
  const dispatcher = new RequestDispatcher<InodeOperations, InodeRequestName>(ops as unknown as InodeOperations, logger, options)
  const replies: Buffer[] = []
  const s = new KernelSession((r) => void replies.push(r), dispatcher, options, logger, { uring, backing: registry }, undefined)
  s.handle(initRequest(offered))
  await new Promise((resolve) => setTimeout(resolve, 0))
  const reply = replies[0]!
  return { asked, error: reply.readInt32LE(4), flags: reply.readUInt32LE(16 + 12), flags2: reply.readUInt32LE(16 + 32), stackDepth: reply.readUInt32LE(16 + 36) }
}

describe('FUSE over io_uring: INIT', () => {
  it('claims FUSE_OVER_IO_URING (with FUSE_INIT_EXT) when the kernel offers it and the ring is made', async () => {
    const init = await negotiate(InitFlag2.OVER_IO_URING, true)
    expect(init.asked).toEqual([[true, 1048576]])
    expect([init.error, init.flags & InitFlag.INIT_EXT, init.flags2, init.stackDepth]).toEqual([0, InitFlag.INIT_EXT, InitFlag2.OVER_IO_URING, 0])
  })

  it('tells the transport the kernel did not offer it, and claims nothing then', async () => {
    const init = await negotiate(0, false)
    expect(init.asked).toEqual([[false, 1048576]])
    expect([init.flags & InitFlag.INIT_EXT, init.flags2]).toEqual([0, 0])
  })

  it('claims nothing when the ring could not be made though the kernel offered it', async () => {
    const init = await negotiate(InitFlag2.OVER_IO_URING, false)
    expect(init.flags2).toBe(0)
  })

  it('never mentions io_uring without --io-uring (no transport), whatever the kernel offers', async () => {
    const init = await negotiate(InitFlag2.OVER_IO_URING, undefined)
    expect([init.flags & InitFlag.INIT_EXT, init.flags2]).toEqual([0, 0])
  })

  it('claims passthrough and io_uring together, with the stack depth passthrough needs', async () => {
    const init = await negotiate(InitFlag2.OVER_IO_URING | InitFlag2.PASSTHROUGH, true, true)
    expect([init.flags2, init.stackDepth]).toEqual([InitFlag2.OVER_IO_URING | InitFlag2.PASSTHROUGH, 1])
  })
})

describe('FUSE over io_uring: the mount option', () => {
  it('is off by default, and refused with fuse-native in one line (EINVAL)', () => {
    expect(resolveMountOptions({}).ioUring).toBe(false)
    expect(() => resolveMountOptions({ ioUring: true, driver: 'fuse-native' })).toThrow(
      expect.objectContaining({ code: 'EINVAL', message: 'EINVAL: invalid mount option: ioUring needs the lowlevel driver (libfuse 2 reads /dev/fuse only)' }),
    )
  })
})

describe('FUSE over io_uring: where the machine has it', () => {
  it('reads the switch as it is in sysfs, and says how to turn it on when it is off', () => {
    const real = existsSync(URING_SWITCH) ? (readFileSync(URING_SWITCH, 'utf8').trim() === 'Y' ? 'Y' : 'N') : undefined
    expect(uringSwitch()).toBe(real)
    expect(uringRefusal('N')).toContain(`echo Y > ${URING_SWITCH}`)
    expect(uringRefusal(undefined)).toContain('CONFIG_FUSE_IO_URING')
    expect(uringSwitch('/nonexistent/enable_uring')).toBeUndefined()
  })

  it('counts the kernel queues from the possible CPUs', () => {
    expect([possibleCpuCount('0\n'), possibleCpuCount('0-1\n'), possibleCpuCount('0-3,8-11\n')]).toEqual([1, 2, 8])
    expect(possibleCpuCount()).toBeGreaterThanOrEqual(1)
    expect(() => possibleCpuCount('0-x')).toThrow('is not a CPU list')
  })

  it('sizes the payload buffers for the largest request the kernel may send', () => {
    expect([ringPayloadSize(1048576, 256), ringPayloadSize(65536, 16), ringPayloadSize(4096, 1)]).toEqual([1048576, 131072, 131072])
  })
})

describe('FUSE over io_uring: the transport', () => {
  it('falls back in one line saying why, without touching io_uring, when the kernel did not offer it', () => {
    const { addon, calls } = fakeAddon()
    const logger = recordingLogger()
    const uring = new UringTransport(addon, 9, logger, () => {})
    expect(uring.accept(false, 131072)).toBe(false)
    expect(calls).toEqual([])
    expect(logger.lines).toEqual([`warn: --io-uring: ${uringRefusal(uringSwitch())}; requests are read from /dev/fuse`])
    expect(uring.reply(Buffer.alloc(16))).toBe(false)
  })

  it('falls back in one line naming the errno when this process may not have an io_uring', () => {
    const refused = Object.assign(new Error('io_uring_setup: Operation not permitted'), { code: 'EPERM' })
    const { addon } = fakeAddon(refused)
    const logger = recordingLogger()
    expect(new UringTransport(addon, 9, logger, () => {}).accept(true, 131072)).toBe(false)
    expect(logger.lines).toEqual(['warn: --io-uring: this process cannot have an io_uring: io_uring_setup: Operation not permitted (see /proc/sys/kernel/io_uring_disabled); requests are read from /dev/fuse'])
  })

  it('makes the ring at INIT, registers it after the INIT reply, and carries requests and replies', () => {
    const { addon, calls, deliver } = fakeAddon()
    const logger = recordingLogger()
    const received: Buffer[] = []
    const uring = new UringTransport(addon, 9, logger, (request) => void received.push(request))
    expect(uring.accept(true, 131072)).toBe(true)
    expect([uring.pending, uring.reply(Buffer.alloc(16))]).toEqual([true, false])
    let served = 0
    uring.start({ poll: 5 }, () => void served++)
    expect([uring.pending, served]).toEqual([false, 1])
    deliver(Buffer.alloc(40))
    deliver(Buffer.alloc(48))
    expect(uring.reply(Buffer.alloc(24))).toBe(true)
    deliver(-22)
    uring.close()
    expect(calls).toEqual([`open 9 ${possibleCpuCount()} 8 131072`, 'start 5', 'reply 24', 'stop'])
    expect(received.map((r) => r.length)).toEqual([40, 48])
    expect(logger.lines).toEqual([
      `info: requests arrive over io_uring (${possibleCpuCount()} queues of 8)`,
      'warn: --io-uring: the kernel refused a ring entry (EINVAL); the requests it would have carried are read from /dev/fuse',
    ])
  })
})

describe('FUSE over io_uring: a real mount with --io-uring', () => {
  it('serves over the ring when the switch is on, and reads /dev/fuse saying why in one line when not', async () => {
    await withProbeMount(async (dir, output) => {
      expect(await readFile(join(dir, 'file'), 'utf8')).toBe('over the ring\n')
      const state = uringSwitch()
      const lines = output().split('\n').filter((line) => line.startsWith('fusekit'))
      expect(lines).toEqual(
        state === 'Y'
          ? [`fusekit info: requests arrive over io_uring (${possibleCpuCount()} queues of 8)`]
          : [`fusekit warn: --io-uring: ${uringRefusal(state)}; requests are read from /dev/fuse`],
      )
    })
  })

  it('answers O_DIRECT reads and writes of a handle with a descriptor in the addon, over either transport', async () => {
    await withProbeMount(async (dir, _output, backing) => {
      const { stdout } = await run('dd', [`if=${join(dir, 'direct')}`, 'iflag=direct', 'bs=4096', 'count=1', 'status=none'], { encoding: 'utf8' })
      expect(stdout).toBe('from the descriptor\n')
      const dd = run('dd', [`of=${join(dir, 'direct')}`, 'oflag=direct', 'conv=notrunc', 'status=none'])
      dd.child.stdin!.end('written by pwrite\n')
      await dd
      expect(await readFile(backing, 'utf8')).toBe('written by pwrite\nr\n')
    })
  })
})

/** Runs `body` against a fresh uring-probe mount in a child process; its /direct is backed by a file holding "from the descriptor". */
async function withProbeMount(body: (dir: string, output: () => string, backing: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fusekit-uring-'))
  const backing = join(await mkdtemp(join(tmpdir(), 'fusekit-uring-backing-')), 'direct')
  await writeFile(backing, 'from the descriptor\n')
  const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures/uring-probe.mjs'), dir, backing], { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  try {
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (data: Buffer) => {
        output += data.toString()
        if (output.includes(`ready ${dir}`)) resolve()
      })
      child.once('exit', (code) => reject(new Error(`the probe mount exited with ${code}:\n${output}`)))
    })
    await body(dir, () => output, backing)
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
    await rmdir(dir)
    await rm(dirname(backing), { recursive: true })
  }
}
