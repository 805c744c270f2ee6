import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { Errno, FsError } from '../src/errno.js'
import type { BackingRegistry, DescriptorIo } from '../src/lowlevel/backing-files.js'
import { KernelSession } from '../src/lowlevel/kernel-session.js'
import { ROOT_ID } from '../src/lowlevel/node-table.js'
import { Fattr, Opcode, readU64, writeU64 } from '../src/lowlevel/protocol.js'
import { resolveMountOptions } from '../src/mount-options.js'
import type { Operations } from '../src/operations.js'
import { RequestDispatcher } from '../src/request-dispatcher.js'
import type { Stat, Timespec } from '../src/types.js'

const fileStat: Stat = {
  ino: 2 ** 40, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 3, blksize: 4096, blocks: 1,
  atime: { sec: 1, nsec: 2 }, mtime: { sec: 3, nsec: 4 }, ctime: { sec: 5, nsec: 6 },
}

let unique = 0
/** A request: header, then `body` (numbers are u32, bigints u64, strings NUL-terminated). */
function request(opcode: number, nodeid: number, ...body: Array<number | bigint | string>): Buffer {
  const parts = body.map((part) => {
    if (typeof part === 'string') return Buffer.from(part + '\0')
    const b = Buffer.alloc(typeof part === 'bigint' ? 8 : 4)
    if (typeof part === 'bigint') b.writeBigUInt64LE(part)
    else b.writeUInt32LE(part)
    return b
  })
  const header = Buffer.alloc(40)
  const req = Buffer.concat([header, ...parts])
  req.writeUInt32LE(req.length, 0)
  req.writeUInt32LE(opcode, 4)
  writeU64(req, 8, ++unique)
  writeU64(req, 16, nodeid)
  return req
}

function session(ops: Partial<Operations>, options = {}, kernelFiles: { backing?: BackingRegistry; descriptors?: DescriptorIo } = {}) {
  const replies: Buffer[] = []
  const full = { getattr: async () => { throw new FsError('ENOENT') }, ...ops } as Operations
  const logger = { level: 'error' as const, debug() {}, info() {}, warn() {}, error() {} }
  const opts = resolveMountOptions({ hotLoopMs: 0, opTimeout: 0, ...options })
  const s = new KernelSession((r) => void replies.push(r), new RequestDispatcher(full, logger, opts), opts, kernelFiles)
  const ask = async (req: Buffer) => {
    const before = replies.length
    s.handle(req)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(replies.length).toBe(before + 1)
    const reply = replies[replies.length - 1] as Buffer
    expect(readU64(reply, 8)).toBe(readU64(req, 8))
    return { errno: Math.abs(reply.readInt32LE(4)), body: reply.subarray(16) }
  }
  return { s, ask, replies }
}

describe('KernelSession', () => {
  it('answers LOOKUP with a new node id and the backend inode number; ENOENT as an error or a cached negative entry', async () => {
    const { ask } = session({ getattr: async (path) => { if (path === '/f') return fileStat; throw new FsError('ENOENT') } })
    const found = await ask(request(Opcode.LOOKUP, ROOT_ID, 'f'))
    expect(found.errno).toBe(0)
    expect(readU64(found.body, 0)).toBeGreaterThan(ROOT_ID)
    expect(readU64(found.body, 40)).toBe(2 ** 40)
    expect((await ask(request(Opcode.LOOKUP, ROOT_ID, 'nope'))).errno).toBe(Errno.ENOENT)

    const negative = session({}, { negativeTimeout: 3 })
    const cached = await negative.ask(request(Opcode.LOOKUP, ROOT_ID, 'nope'))
    expect([cached.errno, readU64(cached.body, 0), readU64(cached.body, 16)]).toEqual([0, 0, 3])
  })

  it('passes SETATTR times: NOW resolved, an unset one as undefined', async () => {
    const calls: Array<[Timespec | undefined, Timespec | undefined]> = []
    const { ask } = session({ getattr: async () => fileStat, utimens: async (_p, a, m) => void calls.push([a, m]) })
    const body = (valid: number) => [valid, 0, 0n, 0n, 0n, 10n, 20n, 0n, 11, 21, 0, 0, 0, 0, 0, 0] as const
    const before = Date.now()
    expect((await ask(request(Opcode.SETATTR, ROOT_ID, ...body(Fattr.ATIME | Fattr.ATIME_NOW | Fattr.MTIME)))).errno).toBe(0)
    expect((await ask(request(Opcode.SETATTR, ROOT_ID, ...body(Fattr.MTIME)))).errno).toBe(0)
    const [[nowA, m1], [a2, m2]] = calls as [[Timespec, Timespec], [undefined, Timespec]]
    expect(nowA.sec * 1000 + nowA.nsec / 1e6).toBeGreaterThanOrEqual(before - 1)
    expect([m1, a2, m2]).toEqual([{ sec: 20, nsec: 21 }, undefined, { sec: 20, nsec: 21 }])
  })

  it('serves READDIR by offset from one listing per open directory', async () => {
    let listings = 0
    const names = Array.from({ length: 50 }, (_, i) => `entry-${i}`)
    const { ask } = session({ getattr: async () => fileStat, readdir: async () => (listings++, names.map((name) => ({ name, stat: fileStat }))) })
    const open = await ask(request(Opcode.OPENDIR, ROOT_ID, 0, 0))
    const fh = BigInt(readU64(open.body, 0))
    const seen: string[] = []
    let offset = 0n
    for (;;) {
      const { body } = await ask(request(Opcode.READDIR, ROOT_ID, fh, offset, 200, 0, 0n, 0, 0))
      if (body.length === 0) break
      for (let at = 0; at < body.length; ) {
        const length = body.readUInt32LE(at + 16)
        seen.push(body.toString('utf8', at + 24, at + 24 + length))
        expect(body.readUInt32LE(at + 20)).toBe(8) // DT_REG
        offset = body.readBigUInt64LE(at + 8)
        at += (24 + length + 7) & ~7
      }
    }
    expect(seen).toEqual(names)
    expect(listings).toBe(1)
  })

  it('answers READDIRPLUS with an entry per name that has stats, counted as a lookup the kernel later forgets', async () => {
    const asked: boolean[] = []
    const entries = [{ name: '.', stat: fileStat }, { name: 'a', stat: fileStat }, { name: 'b', ino: 7, type: 0o040000 }]
    const { ask, s } = session({ getattr: async () => fileStat, readdir: async (_p, _fh, withStats) => (asked.push(withStats), entries) })
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_ID, 0, 0))).body, 0))
    const { body } = await ask(request(Opcode.READDIRPLUS, ROOT_ID, fh, 0n, 4096, 0, 0n, 0, 0))
    const seen: Array<[string, number, number]> = []
    for (let at = 0; at < body.length; ) {
      const length = body.readUInt32LE(at + 128 + 16)
      seen.push([body.toString('utf8', at + 152, at + 152 + length), readU64(body, at), readU64(body, at + 128)])
      at += 128 + ((24 + length + 7) & ~7)
    }
    const [dot, a, b] = seen as [[string, number, number], [string, number, number], [string, number, number]]
    // "." and a name without stats get node id 0: the kernel takes the name alone.
    expect([dot[1], b[1], b[2]]).toEqual([0, 0, 7])
    expect(a[1]).toBeGreaterThan(ROOT_ID)
    expect(a[2]).toBe(2 ** 40)
    expect(asked).toEqual([true])
    // The listing's lookup keeps the node after the LOOKUP's is forgotten; forgetting both drops it.
    const lookedUp = await ask(request(Opcode.LOOKUP, ROOT_ID, 'a'))
    expect(readU64(lookedUp.body, 0)).toBe(a[1])
    s.handle(request(Opcode.FORGET, a[1], 1n))
    expect(readU64((await ask(request(Opcode.LOOKUP, ROOT_ID, 'a'))).body, 0)).toBe(a[1])
    s.handle(request(Opcode.FORGET, a[1], 2n))
    expect(readU64((await ask(request(Opcode.LOOKUP, ROOT_ID, 'a'))).body, 0)).not.toBe(a[1])
  })

  it('hands the kernel the backing file of a node once for all its handles, when INIT agreed on passthrough', async () => {
    const registered: number[] = []
    const closed: number[] = []
    const registry: BackingRegistry = { open: (fd) => (registered.push(fd), 40 + registered.length), close: (id) => void closed.push(id) }
    let nextFh = 1
    const ops = { getattr: async () => fileStat, open: async () => nextFh++, backingFd: (fh: number) => 100 + fh }
    const { ask } = session(ops, {}, { backing: registry })
    const INIT_EXT = 1 << 30
    const init = await ask(request(Opcode.INIT, 0, 7, 40, 65536, INIT_EXT, 1 << 5, ...Array<number>(11).fill(0)))
    expect([init.body.readUInt32LE(12) & INIT_EXT, init.body.readUInt32LE(32), init.body.readUInt32LE(36)]).toEqual([INIT_EXT, 1 << 5, 1])
    const node = readU64((await ask(request(Opcode.LOOKUP, ROOT_ID, 'f'))).body, 0)
    const opens = [await ask(request(Opcode.OPEN, node, 0, 0)), await ask(request(Opcode.OPEN, node, 2, 0))]
    // FOPEN_PASSTHROUGH and the same backing id for both handles, registered once.
    expect(opens.map(({ body }) => [body.readUInt32LE(8), body.readInt32LE(12)])).toEqual([[1 << 7, 41], [1 << 7, 41]])
    expect(registered).toEqual([101])
    await ask(request(Opcode.RELEASE, node, 1n, 0, 0, 0n))
    expect(closed).toEqual([])
    // O_DIRECT joins a node open for passthrough (the kernel takes nothing else), ...
    const O_DIRECT = 0o40000
    const joined = await ask(request(Opcode.OPEN, node, O_DIRECT, 0))
    expect([joined.body.readUInt32LE(8), joined.body.readInt32LE(12)]).toEqual([1 << 7, 41])
    await ask(request(Opcode.RELEASE, node, 3n, 0, 0, 0n))
    await ask(request(Opcode.RELEASE, node, 2n, 0, 0, 0n))
    expect(closed).toEqual([41])
    // ... and otherwise goes to the backend, read for read (FOPEN_DIRECT_IO).
    const direct = await ask(request(Opcode.OPEN, node, O_DIRECT, 0))
    expect([direct.body.readUInt32LE(8), direct.body.readInt32LE(12), registered.length]).toEqual([1, 0, 1])
  })

  it('opens files the ordinary way when the kernel did not agree on passthrough', async () => {
    const registry: BackingRegistry = { open: () => 1, close: () => {} }
    const { ask } = session({ getattr: async () => fileStat, open: async () => 5, backingFd: () => 3 }, {}, { backing: registry })
    await ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    const node = readU64((await ask(request(Opcode.LOOKUP, ROOT_ID, 'f'))).body, 0)
    const { body } = await ask(request(Opcode.OPEN, node, 0, 0))
    expect([body.readUInt32LE(8) & (1 << 7), body.readInt32LE(12)]).toEqual([0, 0])
  })

  it('has the addon answer reads and writes of handles with a descriptor that are not passed through, until just before release', async () => {
    const events: string[] = []
    const descriptors: DescriptorIo = { serve: (fh, fd) => void events.push(`serve ${fh} ${fd}`), forget: (fh) => void events.push(`forget ${fh}`) }
    const registry: BackingRegistry = { open: () => 41, close: () => {} }
    let nextFh = 1
    const ops = {
      getattr: async () => fileStat,
      open: async () => nextFh++,
      release: async (_path: string, fh: number) => void events.push(`release ${fh}`),
      backingFd: (fh: number) => 100 + fh,
    }
    const O_DIRECT = 0o40000
    const INIT_EXT = 1 << 30
    const { ask } = session(ops, {}, { backing: registry, descriptors })
    await ask(request(Opcode.INIT, 0, 7, 40, 65536, INIT_EXT, 1 << 5, ...Array<number>(11).fill(0)))
    const node = readU64((await ask(request(Opcode.LOOKUP, ROOT_ID, 'f'))).body, 0)
    // O_DIRECT: FOPEN_DIRECT_IO and no backing file (the kernel would do direct I/O on the source).
    const direct = await ask(request(Opcode.OPEN, node, O_DIRECT, 0))
    expect([direct.body.readUInt32LE(8), direct.body.readInt32LE(12)]).toEqual([1, 0])
    await ask(request(Opcode.RELEASE, node, 1n, 0, 0, 0n))
    expect(events).toEqual(['serve 1 101', 'forget 1', 'release 1'])

    // Without passthrough (the kernel did not agree), every handle with a descriptor.
    events.length = 0
    const plain = session(ops, {}, { backing: registry, descriptors })
    await plain.ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    const other = readU64((await plain.ask(request(Opcode.LOOKUP, ROOT_ID, 'f'))).body, 0)
    expect((await plain.ask(request(Opcode.OPEN, other, 0, 0))).body.readUInt32LE(8) & (1 << 7)).toBe(0)
    expect(events).toEqual(['serve 2 102'])

    // With --debug the backend sees every read and write, for the trace.
    events.length = 0
    const traced = session(ops, { debug: true }, { backing: registry, descriptors })
    await traced.ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    const third = readU64((await traced.ask(request(Opcode.LOOKUP, ROOT_ID, 'f'))).body, 0)
    await traced.ask(request(Opcode.OPEN, third, O_DIRECT, 0))
    expect(events).toEqual([])
  })

  it('opens directories with no message when the backend has no opendir and the kernel allows it', async () => {
    const NO_OPENDIR_SUPPORT = 1 << 24
    const names = Array.from({ length: 30 }, (_, i) => `entry-${i}`)
    let listings = 0
    const readdir = async () => (listings++, names.map((name) => ({ name, ino: 9, type: 0o100000 })))
    const { ask } = session({ getattr: async () => fileStat, readdir })
    await ask(request(Opcode.INIT, 0, 7, 31, 65536, NO_OPENDIR_SUPPORT))
    expect((await ask(request(Opcode.OPENDIR, ROOT_ID, 0, 0))).errno).toBe(Errno.ENOSYS)
    // The kernel then reads with handle 0: the listing is kept per node, from offset 0 to the end.
    const seen: string[] = []
    for (let offset = 0n; ; ) {
      const { errno, body } = await ask(request(Opcode.READDIR, ROOT_ID, 0n, offset, 200, 0, 0n, 0, 0))
      expect(errno).toBe(0)
      if (body.length === 0) break
      for (let at = 0; at < body.length; at += (24 + body.readUInt32LE(at + 16) + 7) & ~7) {
        seen.push(body.toString('utf8', at + 24, at + 24 + body.readUInt32LE(at + 16)))
        offset = body.readBigUInt64LE(at + 8)
      }
    }
    expect([seen, listings]).toEqual([names, 1])

    const withOpendir = session({ getattr: async () => fileStat, readdir, opendir: async () => 7 })
    await withOpendir.ask(request(Opcode.INIT, 0, 7, 31, 65536, NO_OPENDIR_SUPPORT))
    expect((await withOpendir.ask(request(Opcode.OPENDIR, ROOT_ID, 0, 0))).errno).toBe(0)
  })

  it('answers xattr size queries exactly and a short buffer with ERANGE', async () => {
    const { ask } = session({ getattr: async () => fileStat, getxattr: async () => Buffer.from('value'), listxattr: async () => ['user.a', 'user.b'] })
    const size = await ask(request(Opcode.GETXATTR, ROOT_ID, 0, 0, 'user.a'))
    expect([size.errno, size.body.readUInt32LE(0)]).toEqual([0, 5])
    expect((await ask(request(Opcode.GETXATTR, ROOT_ID, 4, 0, 'user.a'))).errno).toBe(Errno.ERANGE)
    expect((await ask(request(Opcode.GETXATTR, ROOT_ID, 5, 0, 'user.a'))).body.toString()).toBe('value')
    expect((await ask(request(Opcode.LISTXATTR, ROOT_ID, 0, 0))).body.readUInt32LE(0)).toBe(14)
  })

  it('refuses RENAME2 flags, unknown opcodes and xattrs a backend lacks; FORGET gets no reply', async () => {
    const { ask, s, replies } = session({ rename: async () => {} })
    expect((await ask(request(Opcode.RENAME2, ROOT_ID, BigInt(ROOT_ID), 1, 0, 'a', 'b'))).errno).toBe(Errno.EINVAL)
    expect((await ask(request(Opcode.RENAME2, ROOT_ID, BigInt(ROOT_ID), 0, 0, 'a', 'b'))).errno).toBe(0)
    expect((await ask(request(99, ROOT_ID))).errno).toBe(Errno.ENOSYS)
    expect((await ask(request(Opcode.GETXATTR, ROOT_ID, 0, 0, 'user.a'))).errno).toBe(Errno.EOPNOTSUPP)
    const count = replies.length
    s.handle(request(Opcode.FORGET, 5, 1n))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(replies.length).toBe(count)
  })
})
