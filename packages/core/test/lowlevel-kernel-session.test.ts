import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { EncodedListing } from '../src/encoded-listing.js'
import { Errno, FsError } from '../src/errno.js'
import { ROOT_INO, SetattrValid, type Entry, type InodeDirEntry, type InodeOperations, type InodeRequestName, type SetattrRequest } from '../src/inode-operations.js'
import type { BackingRegistry, DescriptorIo } from '../src/lowlevel/backing-files.js'
import { KernelSession, type PieceReplies } from '../src/lowlevel/kernel-session.js'
import { ENTRY_OUT_SIZE, Opcode, readU64, writeU64 } from '../src/lowlevel/protocol.js'
import { resolveMountOptions } from '../src/mount-options.js'
import type { RequestContext } from '../src/request-context.js'
import { RequestDispatcher } from '../src/request-dispatcher.js'
import { OpenFlags, type Stat } from '../src/types.js'
import { FixedWriter } from './fixed-writer.js'

const fileStat: Stat = {
  ino: 2 ** 40, mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 3, blksize: 4096, blocks: 1,
  atime: { sec: 1, nsec: 2 }, mtime: { sec: 3, nsec: 4 }, ctime: { sec: 5, nsec: 6 },
}
/** A node id distinct from the st_ino its attributes show. */
const fileEntry: Entry = { ino: 17, attr: fileStat }

let unique = 0
/** A request from uid 1000 gid 100 pid 4242: header, then `body` (numbers are u32, bigints u64, strings NUL-terminated). */
function request(opcode: number, nodeid: number, ...body: Array<number | bigint | string>): Buffer {
  const parts = body.map((part) => {
    if (typeof part === 'string') return Buffer.from(part + '\0')
    const b = Buffer.alloc(typeof part === 'bigint' ? 8 : 4)
    if (typeof part === 'bigint') b.writeBigUInt64LE(part)
    else b.writeUInt32LE(part)
    return b
  })
  const req = Buffer.concat([Buffer.alloc(40), ...parts])
  req.writeUInt32LE(req.length, 0)
  req.writeUInt32LE(opcode, 4)
  writeU64(req, 8, ++unique)
  writeU64(req, 16, nodeid)
  req.writeUInt32LE(1000, 24)
  req.writeUInt32LE(100, 28)
  req.writeUInt32LE(4242, 32)
  return req
}

function recordingLogger() {
  const lines: string[] = []
  const log = (m: string) => void lines.push(m)
  return { level: 'error' as const, lines, debug: log, info: log, warn: log, error: log }
}

/** What the session is given besides the backend; `mostPieces`: replies may be written in pieces, this many at most. */
interface SessionFiles {
  backing?: BackingRegistry
  descriptors?: DescriptorIo
  mostPieces?: number
}

function session(ops: Partial<InodeOperations>, options = {}, { mostPieces, ...kernelFiles }: SessionFiles = {}, admitted?: number[]) {
  const replies: Buffer[] = []
  /** How many pieces each reply written in pieces had. */
  const pieceCounts: number[] = []
  const full = { lookup: async () => { throw new FsError('ENOENT') }, getattr: async () => fileStat, ...ops } as InodeOperations
  const logger = recordingLogger()
  const opts = resolveMountOptions(options)
  const dispatcher = new RequestDispatcher<InodeOperations, InodeRequestName>(full, logger, opts)
  const pieceReplies: PieceReplies | undefined =
    mostPieces === undefined ? undefined : { most: mostPieces, send: (pieces) => void (pieceCounts.push(pieces.length), replies.push(Buffer.concat(pieces))) }
  // A copy: the session reuses its reply buffers once sent.
  /** Whether each reply was sent as busy (work follows it at once). */
  const busy: boolean[] = []
  const s = new KernelSession((r, b) => void (replies.push(Buffer.from(r)), busy.push(b)), dispatcher, opts, logger, { ...kernelFiles, pieceReplies }, admitted)
  const ask = async (req: Buffer) => {
    const before = replies.length
    s.handle(req)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(replies.length).toBe(before + 1)
    const reply = replies[replies.length - 1] as Buffer
    expect(readU64(reply, 8)).toBe(readU64(req, 8))
    return { errno: Math.abs(reply.readInt32LE(4)), body: reply.subarray(16) }
  }
  return { s, ask, replies, busy, logger, pieceCounts }
}

/** Names, dirent offsets and node ids of a READDIR(PLUS) reply. */
function dirents(body: Buffer, plus: boolean): Array<{ name: string; offset: number; nodeid: number; ino: number }> {
  const out = []
  for (let at = 0; at < body.length; ) {
    const nodeid = plus ? readU64(body, at) : 0
    if (plus) at += 128
    const length = body.readUInt32LE(at + 16)
    out.push({ name: body.toString('utf8', at + 24, at + 24 + length), offset: readU64(body, at + 8), nodeid, ino: readU64(body, at) })
    at += (24 + length + 7) & ~7
  }
  return out
}

/** A directory of `count` files whose listing records how often it is asked for and counts lookups. */
function listedDirectory(count: number) {
  const names = Array.from({ length: count }, (_, i) => `entry-${i}`)
  const lookups = new Map<number, number>()
  const state = { listings: 0, offsets: [] as number[] }
  const ops: Partial<InodeOperations> = {
    readdir(_ctx, _ino, _fh, offset, withStats) {
      state.listings++
      state.offsets.push(offset)
      const all: InodeDirEntry[] = [
        { name: '.', ino: 1, type: 0o040000 },
        { name: '..', ino: 1, type: 0o040000 },
        ...names.map((name, i) => ({ name, ino: 100 + i, type: 0o100000 })),
      ]
      return (function* () {
        for (const entry of all.slice(offset)) {
          if (withStats && !entry.name.startsWith('.')) {
            const ino = entry.ino
            lookups.set(ino, (lookups.get(ino) ?? 0) + 1)
            yield { ...entry, entry: { ino, attr: { ...fileStat, ino } } }
          } else yield entry
        }
      })()
    },
    forget(ino, n) {
      lookups.set(ino, (lookups.get(ino) ?? 0) - n)
    },
  }
  return { names, lookups, state, ops }
}

describe('KernelSession', () => {
  it('answers LOOKUP with the backend node id and the st_ino of its attributes; ENOENT as an error or a cached negative entry', async () => {
    const seen: Array<[RequestContext, number, string]> = []
    const lookup = async (ctx: RequestContext, parent: number, name: string) => {
      seen.push([ctx, parent, name])
      if (name === 'f') return fileEntry
      throw new FsError('ENOENT')
    }
    const { ask } = session({ lookup })
    const found = await ask(request(Opcode.LOOKUP, ROOT_INO, 'f'))
    expect([found.errno, readU64(found.body, 0), readU64(found.body, 40)]).toEqual([0, 17, 2 ** 40])
    expect(seen[0]![0]).toMatchObject({ uid: 1000, gid: 100, pid: 4242, umask: 0 })
    expect(seen[0]!.slice(1)).toEqual([ROOT_INO, 'f'])
    expect((await ask(request(Opcode.LOOKUP, ROOT_INO, 'nope'))).errno).toBe(Errno.ENOENT)

    const negative = session({ lookup }, { negativeTimeout: 3 })
    const cached = await negative.ask(request(Opcode.LOOKUP, ROOT_INO, 'nope'))
    expect([cached.errno, readU64(cached.body, 0), readU64(cached.body, 16)]).toEqual([0, 0, 3])
  })

  it('hands SETATTR over with its valid mask, "now" resolved once for both times, and the handle it came through', async () => {
    const calls: Array<[number, SetattrRequest]> = []
    const { ask } = session({ setattr: async (_ctx, ino, req) => (calls.push([ino, req]), fileStat) })
    const body = (valid: number) => [valid, 0, 9n, 77n, 0n, 10n, 20n, 0n, 11, 21, 0, 0o104755, 0, 5, 6, 0] as const
    const before = Date.now()
    const now = SetattrValid.ATIME | SetattrValid.ATIME_NOW | SetattrValid.MTIME | SetattrValid.MTIME_NOW
    expect((await ask(request(Opcode.SETATTR, 17, ...body(now)))).errno).toBe(0)
    const explicit = SetattrValid.MODE | SetattrValid.SIZE | SetattrValid.MTIME | SetattrValid.FH | SetattrValid.UID
    expect((await ask(request(Opcode.SETATTR, 17, ...body(explicit)))).errno).toBe(0)
    const [[ino, touch], [, set]] = calls as [[number, SetattrRequest], [number, SetattrRequest]]
    expect(ino).toBe(17)
    expect(touch.atime).toBe(touch.mtime)
    expect(touch.atime.sec * 1000 + touch.atime.nsec / 1e6).toBeGreaterThanOrEqual(before - 1)
    expect(touch.fh).toBeUndefined()
    // The file type bits never reach the backend as part of a mode change.
    expect(set).toMatchObject({ valid: explicit, mode: 0o4755, size: 77, mtime: { sec: 20, nsec: 21 }, uid: 5, fh: 9 })
  })

  it('with the writeback cache agreed at INIT: write-only opens read-write, O_APPEND the kernel\'s, and times and size as the kernel reports them', async () => {
    const WRITEBACK_CACHE = 1 << 16
    const opens: number[] = []
    const calls: SetattrRequest[] = []
    const { ask } = session(
      { open: async (_ctx, _ino, flags) => (opens.push(flags), 3), setattr: async (_ctx, _ino, req) => (calls.push(req), fileStat) },
      { writebackCache: true },
    )
    const init = await ask(request(Opcode.INIT, 0, 7, 31, 65536, WRITEBACK_CACHE))
    expect(init.body.readUInt32LE(12) & WRITEBACK_CACHE).toBe(WRITEBACK_CACHE)
    await ask(request(Opcode.OPEN, 17, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0))
    await ask(request(Opcode.OPEN, 17, OpenFlags.O_RDONLY, 0))
    expect(opens).toEqual([OpenFlags.O_RDWR, OpenFlags.O_RDONLY])
    const { ATIME, ATIME_NOW, MTIME, MTIME_NOW, CTIME, FH, SIZE } = SetattrValid
    // valid, fh, size, atime, mtime, ctime (seconds, then nanoseconds): the kernel's clock says 50.5.
    const body = (valid: number, mtime: number) => [valid, 0, 9n, 4096n, 0n, 50n, BigInt(mtime), 50n, 5, 5, 5, 0, 0, 0, 0, 0] as const
    // A touch: the kernel sends its "now" as an explicit mtime, with the ctime of the change.
    await ask(request(Opcode.SETATTR, 17, ...body(ATIME | ATIME_NOW | MTIME | CTIME, 50)))
    // Its own mtime and ctime of cached writes, through the writer's handle; a truncate with them.
    await ask(request(Opcode.SETATTR, 17, ...body(MTIME | CTIME | FH, 40)))
    await ask(request(Opcode.SETATTR, 17, ...body(SIZE | MTIME | CTIME, 50)))
    const [touch, flushed, truncated] = calls as [SetattrRequest, SetattrRequest, SetattrRequest]
    expect(touch).toMatchObject({ valid: ATIME | ATIME_NOW | MTIME | MTIME_NOW | CTIME, atime: { sec: 50, nsec: 5 }, mtime: { sec: 50, nsec: 5 }, ctime: { sec: 50, nsec: 5 } })
    expect(flushed).toMatchObject({ valid: MTIME | CTIME | FH, mtime: { sec: 40, nsec: 5 }, ctime: { sec: 50, nsec: 5 }, fh: 9 })
    expect(truncated).toMatchObject({ valid: SIZE | MTIME | MTIME_NOW | CTIME, size: 4096, mtime: { sec: 50, nsec: 5 } })
  })

  it('without the writeback cache (asked for, but not offered by the kernel) leaves open flags and "now" as they are', async () => {
    const opens: number[] = []
    const calls: SetattrRequest[] = []
    const { ask } = session(
      { open: async (_ctx, _ino, flags) => (opens.push(flags), 3), setattr: async (_ctx, _ino, req) => (calls.push(req), fileStat) },
      { writebackCache: true },
    )
    const init = await ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    expect(init.body.readUInt32LE(12) & (1 << 16)).toBe(0)
    await ask(request(Opcode.OPEN, 17, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0))
    expect(opens).toEqual([OpenFlags.O_WRONLY | OpenFlags.O_APPEND])
    const { ATIME, ATIME_NOW, MTIME, MTIME_NOW } = SetattrValid
    const before = Date.now()
    await ask(request(Opcode.SETATTR, 17, ATIME | ATIME_NOW | MTIME | MTIME_NOW, 0, 0n, 0n, 0n, 50n, 50n, 0n, 5, 5, 0, 0, 0, 0, 0, 0))
    const [touch] = calls as [SetattrRequest]
    // "Now" is ours, one instant for both times, not the kernel's (coarser) clock.
    expect(touch.atime).toBe(touch.mtime)
    expect(touch.atime.sec * 1000 + touch.atime.nsec / 1e6).toBeGreaterThanOrEqual(before - 1)
  })

  it('gives create, mkdir and mknod the caller umask the kernel sent (the mode has it applied already)', async () => {
    const umasks: number[] = []
    const { ask } = session({
      mkdir: async (ctx) => (umasks.push(ctx.umask), fileEntry),
      mknod: async (ctx) => (umasks.push(ctx.umask), fileEntry),
      create: async (ctx) => (umasks.push(ctx.umask), { ...fileEntry, fh: 3 }),
    })
    await ask(request(Opcode.MKDIR, ROOT_INO, 0o750, 0o027, 'd'))
    await ask(request(Opcode.MKNOD, ROOT_INO, 0o10640, 0, 0o077, 0, 'p'))
    const created = await ask(request(Opcode.CREATE, ROOT_INO, 0o101, 0o100644, 0o002, 0, 'f'))
    expect(umasks).toEqual([0o027, 0o077, 0o002])
    expect([readU64(created.body, 0), readU64(created.body, 128)]).toEqual([17, 3])
  })

  it('passes RENAME2 flags, LINK, FALLOCATE, LSEEK and COPY_FILE_RANGE through to the inode layer', async () => {
    const calls: unknown[][] = []
    const record = (name: string, result?: unknown) => async (_ctx: RequestContext, ...args: unknown[]) => (calls.push([name, ...args]), result)
    const { ask } = session({
      rename: record('rename') as InodeOperations['rename'],
      link: record('link', fileEntry) as InodeOperations['link'],
      fallocate: record('fallocate') as InodeOperations['fallocate'],
      lseek: record('lseek', 8192) as InodeOperations['lseek'],
      copyFileRange: record('copyFileRange', 1000) as InodeOperations['copyFileRange'],
    })
    expect((await ask(request(Opcode.RENAME2, 5, 6n, 2, 0, 'a', 'b'))).errno).toBe(0)
    expect(readU64((await ask(request(Opcode.LINK, 6, 17n, 'second'))).body, 0)).toBe(17)
    expect((await ask(request(Opcode.FALLOCATE, 17, 3n, 4096n, 8192n, 3, 0))).errno).toBe(0)
    expect(readU64((await ask(request(Opcode.LSEEK, 17, 3n, 100n, 4, 0))).body, 0)).toBe(8192)
    expect((await ask(request(Opcode.COPY_FILE_RANGE, 17, 3n, 0n, 18n, 4n, 10n, 5000n, 0n))).body.readUInt32LE(0)).toBe(1000)
    expect(calls).toEqual([
      ['rename', 5, 'a', 6, 'b', 2],
      ['link', 17, 6, 'second'],
      ['fallocate', 17, 3, 3, 4096, 8192],
      ['lseek', 17, 3, 100, 4],
      ['copyFileRange', 17, 3, 0, 18, 4, 10, 5000, 0],
    ])
  })

  it('answers READ with the slices of readSlices as the pieces of one reply, cut to the size asked, joined past the most pieces', async () => {
    const calls: unknown[][] = []
    let slices: unknown[] = [Buffer.from('abc'), Buffer.alloc(2), Buffer.from('def')]
    const readSlices = (async (_ctx: RequestContext, ...args: unknown[]) => (calls.push(args), slices)) as InodeOperations['readSlices']
    const read = (async () => { throw new Error('read is not asked when pieces can be sent') }) as InodeOperations['read']
    const { ask, pieceCounts, logger } = session({ readSlices, read }, {}, { mostPieces: 4 })
    const readAt = (offset: bigint, size: number) => ask(request(Opcode.READ, 17, 3n, offset, size, 0, 0n, 0, 0))
    expect((await readAt(4096n, 100)).body).toEqual(Buffer.from('abc\0\0def'))
    // A backend that answers more than asked is cut, as a count past the size is.
    expect((await readAt(0n, 5)).body).toEqual(Buffer.from('abc\0\0'))
    expect(pieceCounts).toEqual([4, 3])
    slices = ['ab', 'c', 'd', 'e', 'f'].map((text) => Buffer.from(text))
    expect((await readAt(0n, 100)).body).toEqual(Buffer.from('abcdef'))
    expect(pieceCounts).toHaveLength(2)
    expect(calls).toEqual([[17, 3, 4096, 100], [17, 3, 0, 5], [17, 3, 0, 100]])
    slices = ['abc']
    expect((await readAt(0n, 100)).errno).toBe(Errno.EIO)
    expect(logger.lines.join('\n')).toMatch(/readSlices answered something other than Buffers/)
  })

  it('answers READ with read into its own buffer where replies go in one piece, and with read\'s errno', async () => {
    const readSlices = (async () => [Buffer.from('not this')]) as InodeOperations['readSlices']
    const read = (async (_ctx: RequestContext, _ino: number, fh: number, buffer: Buffer) => {
      if (fh === 9) throw new FsError('EBADF')
      return buffer.write('abcdef')
    }) as InodeOperations['read']
    const { ask, pieceCounts } = session({ readSlices, read })
    expect((await ask(request(Opcode.READ, 17, 3n, 0n, 4, 0, 0n, 0, 0))).body).toEqual(Buffer.from('abcd'))
    expect((await ask(request(Opcode.READ, 17, 9n, 0n, 4, 0, 0n, 0, 0))).errno).toBe(Errno.EBADF)
    expect(pieceCounts).toEqual([])
  })

  it('leaves FALLOCATE, LSEEK and COPY_FILE_RANGE to the kernel (ENOSYS) when the backend has none', async () => {
    const { ask } = session({})
    expect((await ask(request(Opcode.FALLOCATE, 17, 3n, 0n, 1n, 0, 0))).errno).toBe(Errno.ENOSYS)
    expect((await ask(request(Opcode.LSEEK, 17, 3n, 0n, 3, 0))).errno).toBe(Errno.ENOSYS)
  })

  it('streams READDIR from one iterator across requests, restarting only when the offset is not where it stopped', async () => {
    const dir = listedDirectory(50)
    const { ask } = session(dir.ops)
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const seen: string[] = []
    let offset = 0n
    for (;;) {
      const { body } = await ask(request(Opcode.READDIR, ROOT_INO, fh, offset, 200, 0, 0n, 0, 0))
      const entries = dirents(body, false)
      if (entries.length === 0) break
      seen.push(...entries.map((e) => e.name))
      offset = BigInt(entries.at(-1)!.offset)
    }
    expect(seen).toEqual(['.', '..', ...dir.names])
    expect(dir.state.listings).toBe(1)
    // seekdir back to entry 10: listed again from there.
    const again = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, 10n, 200, 0, 0n, 0, 0))).body, false)
    expect(again[0]).toMatchObject({ name: 'entry-8', offset: 11 })
    expect(dir.state.offsets).toEqual([0, 10])
  })

  it('counts READDIRPLUS entries as lookups only when sent: the ones drawn but not sent are forgotten, dots carry no node', async () => {
    const dir = listedDirectory(20)
    const { ask } = session(dir.ops)
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const first = dirents((await ask(request(Opcode.READDIRPLUS, ROOT_INO, fh, 0n, 1000, 0, 0n, 0, 0))).body, true)
    expect(first.slice(0, 2).map((e) => e.nodeid)).toEqual([0, 0])
    expect(first[2]).toMatchObject({ name: 'entry-0', nodeid: 100 })
    const sent = first.filter((e) => e.nodeid !== 0).map((e) => e.nodeid)
    // The entry that did not fit was drawn (and counted) and waits for the next read.
    const counted = [...dir.lookups].filter(([, n]) => n > 0).map(([ino]) => ino)
    expect(counted).toEqual([...sent, 100 + sent.length])
    // Closing the directory gives its lookup back; the sent ones stay with the kernel.
    await ask(request(Opcode.RELEASEDIR, ROOT_INO, fh, 0, 0, 0n))
    expect([...dir.lookups].filter(([, n]) => n > 0).map(([ino]) => ino)).toEqual(sent)
  })

  it('goes on with the same listing when plain READDIR continues a READDIRPLUS: the entries drawn with stats and not sent are given back', async () => {
    const dir = listedDirectory(3)
    const { ask } = session(dir.ops)
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    // READDIRPLUS fills one small buffer, then plain READDIR continues the same listing.
    const plus = dirents((await ask(request(Opcode.READDIRPLUS, ROOT_INO, fh, 0n, 400, 0, 0n, 0, 0))).body, true)
    const next = plus.at(-1)!.offset
    const rest = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, BigInt(next), 4096, 0, 0n, 0, 0))).body, false)
    expect([...plus, ...rest].map((e) => e.name)).toEqual(['.', '..', 'entry-0', 'entry-1', 'entry-2'])
    expect(dir.state.offsets).toEqual([0])
    const kept = [...dir.lookups].filter(([, n]) => n > 0).map(([ino]) => ino)
    expect(kept).toEqual(plus.filter((e) => e.nodeid !== 0).map((e) => e.nodeid))
    // The entries drawn with stats and sent without them were counted and given back.
    expect([...dir.lookups.values()].filter((n) => n !== 0 && n !== 1)).toEqual([])
    expect(dir.lookups.size).toBe(3)
  })

  it("lists each name once when the backend's order changes between the pieces of a listing, whichever kind each piece is", async () => {
    // A backend whose order moves at every call (an upload landing between the pieces).
    let calls = 0
    const names = Array.from({ length: 30 }, (_, i) => `entry-${i}`)
    const { ask } = session({
      readdir(_ctx, _ino, _fh, offset, withStats) {
        const order = calls++ % 2 === 0 ? names : [...names].reverse()
        const all: InodeDirEntry[] = order.map((name, i) => ({ name, ino: 100 + i, type: 0o100000, entry: withStats ? { ino: 100 + i, attr: { ...fileStat, ino: 100 + i } } : undefined }))
        return all.slice(offset)
      },
      forget() {},
    })
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const seen: string[] = []
    let offset = 0n
    for (let plus = true; ; plus = !plus) {
      const { body } = await ask(request(plus ? Opcode.READDIRPLUS : Opcode.READDIR, ROOT_INO, fh, offset, 300, 0, 0n, 0, 0))
      const entries = dirents(body, plus)
      if (entries.length === 0) break
      seen.push(...entries.map((e) => e.name))
      offset = BigInt(entries.at(-1)!.offset)
    }
    expect(seen).toEqual(names)
    expect(calls).toBe(1)
  })

  it('sends entries with no node when READDIRPLUS continues a listing made without stats', async () => {
    const dir = listedDirectory(40)
    const { ask } = session(dir.ops)
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const plain = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, 0n, 200, 0, 0n, 0, 0))).body, false)
    const plus = dirents((await ask(request(Opcode.READDIRPLUS, ROOT_INO, fh, BigInt(plain.at(-1)!.offset), 16384, 0, 0n, 0, 0))).body, true)
    expect([...plain, ...plus].map((e) => e.name)).toEqual(['.', '..', ...dir.names])
    expect(plus.map((e) => e.nodeid)).toEqual(plus.map(() => 0))
    expect(dir.state.offsets).toEqual([0])
    expect(dir.lookups.size).toBe(0)
  })

  it('takes the listing a backend offers without stats when plain READDIR continues a READDIRPLUS, giving back the entry held', async () => {
    const dir = listedDirectory(20)
    const lighter: number[] = []
    const { ask } = session({
      ...dir.ops,
      readdir(ctx, ino, fh, offset, withStats) {
        const listing = dir.ops.readdir!(ctx, ino, fh, offset, withStats) as Iterable<InodeDirEntry>
        return Object.assign(listing, {
          withoutStats: (from: number) => {
            lighter.push(from)
            return dir.ops.readdir!(ctx, ino, fh, from, false) as Iterable<InodeDirEntry>
          },
        })
      },
    })
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const plus = dirents((await ask(request(Opcode.READDIRPLUS, ROOT_INO, fh, 0n, 400, 0, 0n, 0, 0))).body, true)
    const next = plus.at(-1)!.offset
    const rest = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, BigInt(next), 4096, 0, 0n, 0, 0))).body, false)
    expect([...plus, ...rest].map((e) => e.name)).toEqual(['.', '..', ...dir.names])
    expect(lighter).toEqual([next])
    // Only the sent entries keep a lookup: the one held for the next buffer was given back.
    const kept = [...dir.lookups].filter(([, n]) => n > 0).map(([ino]) => ino)
    expect(kept).toEqual(plus.filter((e) => e.nodeid !== 0).map((e) => e.nodeid))
    expect([...dir.lookups.values()].filter((n) => n !== 0 && n !== 1)).toEqual([])
  })

  it('goes on with a listing that writes both kinds when plain READDIR continues a READDIRPLUS, asking the backend nothing', async () => {
    const offsets: number[] = []
    const entries: InodeDirEntry[] = [
      { name: '.', ino: 1, type: 0o040000 },
      { name: '..', ino: 1, type: 0o040000 },
      ...[0, 1, 2].map((i) => ({ name: `entry-${i}`, ino: 100 + i, type: 0o100000, entry: { ino: 100 + i, attr: { ...fileStat, ino: 100 + i } } })),
    ]
    const { ask } = session({
      readdir(_ctx, _ino, _fh, offset) {
        offsets.push(offset)
        const writer = new FixedWriter(entries)
        writer.offset = offset
        return writer
      },
    })
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const plus = dirents((await ask(request(Opcode.READDIRPLUS, ROOT_INO, fh, 0n, 400, 0, 0n, 0, 0))).body, true)
    const rest = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, BigInt(plus.at(-1)!.offset), 4096, 0, 0n, 0, 0))).body, false)
    expect([...plus, ...rest].map((e) => e.name)).toEqual(['.', '..', 'entry-0', 'entry-1', 'entry-2'])
    expect(offsets).toEqual([0])
  })

  it('lets a listing read ahead right after each reply that goes on with it, that reply sent as busy; never at its end', async () => {
    const entries: InodeDirEntry[] = Array.from({ length: 40 }, (_, i) => ({ name: `entry-${i}`, ino: 100 + i, type: 0o100000 }))
    const aheadAfter: number[] = []
    class ReadingAhead extends FixedWriter {
      needsReadAhead(): boolean {
        return true
      }
      readAhead(): void {
        aheadAfter.push(replies.length)
      }
    }
    const { ask, replies, busy } = session({ readdir: (_ctx, _ino, _fh, offset) => Object.assign(new ReadingAhead(entries), { offset }) })
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const names: string[] = []
    for (let offset = 0n; ; ) {
      const listed = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, offset, 400, 0, 0n, 0, 0))).body, false)
      if (listed.length === 0) break
      names.push(...listed.map((e) => e.name))
      offset = BigInt(listed.at(-1)!.offset)
    }
    expect(names).toEqual(entries.map((e) => e.name))
    // OPENDIR, then the replies: the first came from the backend's call, the last found the end.
    const continued = replies.length - 3
    expect(continued).toBeGreaterThan(2)
    expect(aheadAfter).toEqual(Array.from({ length: continued - 1 }, (_, i) => i + 3))
    expect(busy).toEqual(replies.map((_, i) => aheadAfter.includes(i + 1)))
  })

  it('answers the READDIR after a READDIRPLUS that took the whole directory with the end, asking the backend nothing', async () => {
    const dir = listedDirectory(3)
    const { ask } = session(dir.ops)
    const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
    const plus = dirents((await ask(request(Opcode.READDIRPLUS, ROOT_INO, fh, 0n, 4096, 0, 0n, 0, 0))).body, true)
    expect(plus.map((e) => e.name)).toEqual(['.', '..', 'entry-0', 'entry-1', 'entry-2'])
    const end = await ask(request(Opcode.READDIR, ROOT_INO, fh, BigInt(plus.at(-1)!.offset), 4096, 0, 0n, 0, 0))
    expect(end).toEqual({ errno: 0, body: Buffer.alloc(0) })
    expect(dir.state.listings).toBe(1)
    // A read from elsewhere (rewinddir) still lists again.
    const again = dirents((await ask(request(Opcode.READDIR, ROOT_INO, fh, 0n, 4096, 0, 0n, 0, 0))).body, false)
    expect(again.map((e) => e.name)).toEqual(['.', '..', 'entry-0', 'entry-1', 'entry-2'])
    expect(dir.state.offsets).toEqual([0, 0])
  })

  it('copies a listing the backend holds as an EncodedListing: the replies entry-by-entry encoding gives, continued without asking again', async () => {
    const generic = listedDirectory(300)
    const listing = new EncodedListing(1, 1)
    generic.names.forEach((name, i) => listing.append(name, 100 + i, 0o100000))
    const offsets: number[] = []
    const encoded = session({
      readdir(_ctx, _ino, _fh, offset) {
        offsets.push(offset)
        return listing.from(offset)
      },
    })
    const replies = async ({ ask }: ReturnType<typeof session>) => {
      const fh = BigInt(readU64((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).body, 0))
      const bodies: Buffer[] = []
      for (let offset = 0n; ; ) {
        const { body } = await ask(request(Opcode.READDIR, ROOT_INO, fh, offset, 1000, 0, 0n, 0, 0))
        bodies.push(body)
        if (body.length === 0) break
        offset = BigInt(dirents(body, false).at(-1)!.offset)
      }
      // seekdir back to entry 10.
      bodies.push((await ask(request(Opcode.READDIR, ROOT_INO, fh, 10n, 1000, 0, 0n, 0, 0))).body)
      return bodies
    }
    const expected = await replies(session(generic.ops))
    expect(expected.length).toBeGreaterThan(10)
    expect(await replies(encoded)).toEqual(expected)
    expect(offsets).toEqual([0, 10])
  })

  it('aborts the signal of an interrupted request, and of every request in flight when closed', async () => {
    const reasons: unknown[] = []
    const { s, replies } = session({
      readlink: (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => (reasons.push(ctx.signal.reason), reject(new FsError('EINTR'))))),
    })
    const interrupted = request(Opcode.READLINK, 17)
    s.handle(interrupted)
    s.handle(request(Opcode.INTERRUPT, 0, BigInt(readU64(interrupted, 8))))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(replies.map((r) => r.readInt32LE(4))).toEqual([-Errno.EINTR])
    expect(reasons).toEqual([expect.objectContaining({ code: 'EINTR' })])
    s.handle(request(Opcode.READLINK, 17))
    s.close()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(reasons[1]).toMatchObject({ code: 'ENOTCONN' })
    // An INTERRUPT for a request already answered is ignored, and gets no reply itself.
    s.handle(request(Opcode.INTERRUPT, 0, 999_999n))
    expect(replies.length).toBe(2)
  })

  it('answers a malformed request EIO with one log line, and goes on serving', async () => {
    const { ask, logger } = session({ lookup: async () => fileEntry })
    const short = request(Opcode.GETATTR, 17, 0)
    expect((await ask(short)).errno).toBe(Errno.EIO)
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatch(/opcode 3 on node 17 answered EIO: fuse_getattr_in: 4 bytes, too short/)
    expect((await ask(request(Opcode.LOOKUP, ROOT_INO, 'f'))).errno).toBe(0)
  })

  it('refuses a name that is not UTF-8 with EILSEQ, without troubling the backend', async () => {
    let called = false
    const { ask } = session({ lookup: async () => ((called = true), fileEntry) })
    const req = request(Opcode.LOOKUP, ROOT_INO, 'caf_')
    req[req.length - 2] = 0xe9
    expect((await ask(req)).errno).toBe(Errno.EILSEQ)
    expect(called).toBe(false)
  })

  it('with allow_root, answers EACCES to users other than the mounter and root', async () => {
    const { ask } = session({ lookup: async () => fileEntry }, {}, {}, [4321, 0])
    expect((await ask(request(Opcode.LOOKUP, ROOT_INO, 'f'))).errno).toBe(Errno.EACCES)
  })

  it('passes FORGET and BATCH_FORGET to the backend without a reply', async () => {
    const forgotten: Array<[number, number]> = []
    const { s, replies } = session({ forget: (ino, n) => void forgotten.push([ino, n]) })
    s.handle(request(Opcode.FORGET, 17, 2n))
    s.handle(request(Opcode.BATCH_FORGET, 0, 2, 0, 18n, 1n, 19n, 5n))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(forgotten).toEqual([[17, 2], [18, 1], [19, 5]])
    expect(replies).toEqual([])
  })

  it('agrees on HANDLE_KILLPRIV_V2 (backends clear set-id bits; no security.capability probe per write), but not with backing files', async () => {
    const KILLPRIV_V2 = 1 << 28
    const INIT_EXT = 1 << 30
    const registry: BackingRegistry = { open: () => 1, close: () => undefined }
    // A backend without backing files: no passthrough asked for, even where it could be.
    const plain = await session({}, {}, { backing: registry }).ask(request(Opcode.INIT, 0, 7, 40, 65536, KILLPRIV_V2 | INIT_EXT, 1 << 5, ...Array<number>(11).fill(0)))
    expect(plain.body.readUInt32LE(12) & KILLPRIV_V2).toBe(KILLPRIV_V2)
    expect(plain.body.readUInt32LE(32)).toBe(0)
    // Backing files are written by the kernel (or the addon) as the server: nothing would clear the bits.
    const backed = await session({ open: async () => 1, backingFd: () => 100 }, {}, { backing: registry }).ask(request(Opcode.INIT, 0, 7, 40, 65536, KILLPRIV_V2 | INIT_EXT, 1 << 5, ...Array<number>(11).fill(0)))
    expect(backed.body.readUInt32LE(32)).toBe(1 << 5)
    expect(backed.body.readUInt32LE(12) & KILLPRIV_V2).toBe(0)
  })

  it('asks for READDIRPLUS as the readdirplus option says: auto (the kernel decides per buffer), always, or off', async () => {
    const DO_READDIRPLUS = 1 << 13
    const READDIRPLUS_AUTO = 1 << 14
    const agreed = async (readdirplus: 'auto' | 'always' | 'off') =>
      (await session({}, { readdirplus }).ask(request(Opcode.INIT, 0, 7, 31, 65536, DO_READDIRPLUS | READDIRPLUS_AUTO))).body.readUInt32LE(12) &
      (DO_READDIRPLUS | READDIRPLUS_AUTO)
    expect(await agreed('auto')).toBe(DO_READDIRPLUS | READDIRPLUS_AUTO)
    expect(await agreed('always')).toBe(DO_READDIRPLUS)
    expect(await agreed('off')).toBe(0)
  })

  it('hands the kernel the backing file of a node once for all its handles, when INIT agreed on passthrough', async () => {
    const registered: number[] = []
    const closed: number[] = []
    const registry: BackingRegistry = { open: (fd) => (registered.push(fd), 40 + registered.length), close: (id) => void closed.push(id) }
    let nextFh = 1
    const ops = { open: async () => nextFh++, backingFd: (fh: number) => 100 + fh }
    const { ask } = session(ops, {}, { backing: registry })
    const INIT_EXT = 1 << 30
    const init = await ask(request(Opcode.INIT, 0, 7, 40, 65536, INIT_EXT, 1 << 5, ...Array<number>(11).fill(0)))
    expect([init.body.readUInt32LE(12) & INIT_EXT, init.body.readUInt32LE(32), init.body.readUInt32LE(36)]).toEqual([INIT_EXT, 1 << 5, 1])
    const opens = [await ask(request(Opcode.OPEN, 17, 0, 0)), await ask(request(Opcode.OPEN, 17, 2, 0))]
    // FOPEN_PASSTHROUGH and the same backing id for both handles, registered once.
    expect(opens.map(({ body }) => [body.readUInt32LE(8), body.readInt32LE(12)])).toEqual([[1 << 7, 41], [1 << 7, 41]])
    expect(registered).toEqual([101])
    await ask(request(Opcode.RELEASE, 17, 1n, 0, 0, 0n))
    expect(closed).toEqual([])
    // O_DIRECT joins a node open for passthrough (the kernel takes nothing else), ...
    const O_DIRECT = 0o40000
    const joined = await ask(request(Opcode.OPEN, 17, O_DIRECT, 0))
    expect([joined.body.readUInt32LE(8), joined.body.readInt32LE(12)]).toEqual([1 << 7, 41])
    await ask(request(Opcode.RELEASE, 17, 3n, 0, 0, 0n))
    await ask(request(Opcode.RELEASE, 17, 2n, 0, 0, 0n))
    expect(closed).toEqual([41])
    // ... and otherwise goes to the backend, read for read (FOPEN_DIRECT_IO).
    const direct = await ask(request(Opcode.OPEN, 17, O_DIRECT, 0))
    expect([direct.body.readUInt32LE(8), direct.body.readInt32LE(12), registered.length]).toEqual([1, 0, 1])
  })

  it('opens files the ordinary way when the kernel did not agree on passthrough', async () => {
    const registry: BackingRegistry = { open: () => 1, close: () => {} }
    const { ask } = session({ open: async () => 5, backingFd: () => 3 }, {}, { backing: registry })
    await ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    const { body } = await ask(request(Opcode.OPEN, 17, 0, 0))
    expect([body.readUInt32LE(8) & (1 << 7), body.readInt32LE(12)]).toEqual([0, 0])
  })

  it('has the addon answer reads and writes of handles with a descriptor that are not passed through, until just before release', async () => {
    const events: string[] = []
    const descriptors: DescriptorIo = { serve: (fh, fd) => void events.push(`serve ${fh} ${fd}`), forget: (fh) => void events.push(`forget ${fh}`) }
    const registry: BackingRegistry = { open: () => 41, close: () => {} }
    let nextFh = 1
    const ops: Partial<InodeOperations> = {
      open: async () => nextFh++,
      release: async (_ctx, _ino, fh) => void events.push(`release ${fh}`),
      backingFd: (fh: number) => 100 + fh,
    }
    const O_DIRECT = 0o40000
    const INIT_EXT = 1 << 30
    const { ask } = session(ops, {}, { backing: registry, descriptors })
    await ask(request(Opcode.INIT, 0, 7, 40, 65536, INIT_EXT, 1 << 5, ...Array<number>(11).fill(0)))
    // O_DIRECT: FOPEN_DIRECT_IO and no backing file (the kernel would do direct I/O on the source).
    const direct = await ask(request(Opcode.OPEN, 17, O_DIRECT, 0))
    expect([direct.body.readUInt32LE(8), direct.body.readInt32LE(12)]).toEqual([1, 0])
    await ask(request(Opcode.RELEASE, 17, 1n, 0, 0, 0n))
    expect(events).toEqual(['serve 1 101', 'forget 1', 'release 1'])

    // Without passthrough (the kernel did not agree), every handle with a descriptor.
    events.length = 0
    const plain = session(ops, {}, { backing: registry, descriptors })
    await plain.ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    expect((await plain.ask(request(Opcode.OPEN, 17, 0, 0))).body.readUInt32LE(8) & (1 << 7)).toBe(0)
    expect(events).toEqual(['serve 2 102'])

    // With --debug the backend sees every read and write, for the trace.
    events.length = 0
    const traced = session(ops, { debug: true }, { backing: registry, descriptors })
    await traced.ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    await traced.ask(request(Opcode.OPEN, 17, O_DIRECT, 0))
    expect(events).toEqual([])
  })

  it('opens directories with no message once 64 listings in a row were small, when the backend has no opendir and the kernel allows it', async () => {
    const NO_OPENDIR_SUPPORT = 1 << 24
    const small = listedDirectory(30)
    const large = listedDirectory(300)
    const { ask } = session({ ...small.ops, readdir: (ctx, ino, fh, offset, withStats) => (ino === 5 ? large : small).ops.readdir!(ctx, ino, fh, offset, withStats) })
    await ask(request(Opcode.INIT, 0, 7, 31, 65536, NO_OPENDIR_SUPPORT))
    /** Opens `node` with OPENDIR (its open flags: none, so the kernel caches no listing), lists it whole, releases it. */
    const listWhole = async (node: number) => {
      const opened = await ask(request(Opcode.OPENDIR, node, 0, 0))
      expect([opened.errno, opened.body.readUInt32LE(8)]).toEqual([0, 0])
      const fh = readU64(opened.body, 0)
      for (let offset = 0n; ; ) {
        const entries = dirents((await ask(request(Opcode.READDIR, node, BigInt(fh), offset, 4096, 0, 0n, 0, 0))).body, false)
        if (entries.length === 0) break
        offset = BigInt(entries.at(-1)!.offset)
      }
      await ask(request(Opcode.RELEASEDIR, node, BigInt(fh), 0, 0, 0n))
    }
    for (let i = 0; i < 63; i++) await listWhole(ROOT_INO)
    // A large listing starts the count again.
    await listWhole(5)
    for (let i = 0; i < 64; i++) await listWhole(ROOT_INO)
    expect((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).errno).toBe(Errno.ENOSYS)
    // The kernel then reads with handle 0: the listing is kept per node, from offset 0 to the end.
    const listings = small.state.listings
    const seen: string[] = []
    for (let offset = 0n; ; ) {
      const { errno, body } = await ask(request(Opcode.READDIR, ROOT_INO, 0n, offset, 200, 0, 0n, 0, 0))
      expect(errno).toBe(0)
      const entries = dirents(body, false)
      if (entries.length === 0) break
      seen.push(...entries.map((e) => e.name))
      offset = BigInt(entries.at(-1)!.offset)
    }
    expect([seen, small.state.listings - listings]).toEqual([['.', '..', ...small.names], 1])
    expect((await ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).errno).toBe(Errno.ENOSYS)

    const dir = listedDirectory(3)
    const withOpendir = session({ ...dir.ops, opendir: async () => 7 })
    await withOpendir.ask(request(Opcode.INIT, 0, 7, 31, 65536, NO_OPENDIR_SUPPORT))
    expect((await withOpendir.ask(request(Opcode.OPENDIR, ROOT_INO, 0, 0))).errno).toBe(0)
  })

  it('with no message at open, lets a listing the kernel left unfinished go when the node is forgotten (FORGET, BATCH_FORGET)', async () => {
    const NO_OPENDIR_SUPPORT = 1 << 24
    for (const [node, forget] of [
      [5, () => request(Opcode.FORGET, 5, 1n)],
      [6, () => request(Opcode.BATCH_FORGET, 0, 1, 0, 6n, 1n)],
    ] as const) {
      const dir = listedDirectory(20)
      const { s, ask } = session(dir.ops)
      await ask(request(Opcode.INIT, 0, 7, 31, 65536, NO_OPENDIR_SUPPORT))
      // One small buffer of a large directory, as `ls | head` reads it; nothing tells when it stops.
      const first = dirents((await ask(request(Opcode.READDIRPLUS, node, 0n, 0n, 1000, 0, 0n, 0, 0))).body, true)
      const sent = first.filter((e) => e.nodeid !== 0).map((e) => e.nodeid)
      s.handle(forget())
      // The entry drawn for that buffer and not sent gave its lookup back with the listing.
      expect([...dir.lookups].filter(([, n]) => n > 0).map(([ino]) => ino)).toEqual(sent)
      const next = first.at(-1)!.offset
      const rest = dirents((await ask(request(Opcode.READDIRPLUS, node, 0n, BigInt(next), 1000, 0, 0n, 0, 0))).body, true)
      expect(rest[0]!.name).toBe(`entry-${sent.length}`)
      expect(dir.state.offsets).toEqual([0, next])
    }
  })

  it('answers xattr size queries exactly and a short buffer with ERANGE', async () => {
    const { ask } = session({ getxattr: async () => Buffer.from('value'), listxattr: async () => ['user.a', 'user.b'] })
    const size = await ask(request(Opcode.GETXATTR, 17, 0, 0, 'user.a'))
    expect([size.errno, size.body.readUInt32LE(0)]).toEqual([0, 5])
    expect((await ask(request(Opcode.GETXATTR, 17, 4, 0, 'user.a'))).errno).toBe(Errno.ERANGE)
    expect((await ask(request(Opcode.GETXATTR, 17, 5, 0, 'user.a'))).body.toString()).toBe('value')
    expect((await ask(request(Opcode.LISTXATTR, 17, 0, 0))).body.readUInt32LE(0)).toBe(14)
  })

  it('with the writeback cache agreed at INIT, opens write-only files read-write and leaves O_APPEND to the kernel', async () => {
    const WRITEBACK_CACHE = 1 << 16
    const flags: number[] = []
    const ops: Partial<InodeOperations> = {
      open: async (_ctx, _ino, f) => (flags.push(f), 1),
      create: async (_ctx, _parent, _name, _mode, f) => (flags.push(f), { ...fileEntry, fh: 2 }),
    }
    const O_WRONLY = 1
    const O_RDWR = 2
    const O_APPEND = 0o2000
    const O_CREAT = 0o100
    const on = session(ops, { writebackCache: true })
    const init = await on.ask(request(Opcode.INIT, 0, 7, 31, 65536, WRITEBACK_CACHE))
    expect(init.body.readUInt32LE(12) & WRITEBACK_CACHE).toBe(WRITEBACK_CACHE)
    await on.ask(request(Opcode.OPEN, 17, O_WRONLY | O_APPEND, 0))
    await on.ask(request(Opcode.CREATE, ROOT_INO, O_WRONLY | O_CREAT, 0o100644, 0, 0, 'f'))
    expect(flags).toEqual([O_RDWR, O_RDWR | O_CREAT])
    // Not asked for, or not offered by the kernel: the flags pass unchanged.
    flags.length = 0
    const off = session(ops, { writebackCache: false })
    expect((await off.ask(request(Opcode.INIT, 0, 7, 31, 65536, WRITEBACK_CACHE))).body.readUInt32LE(12) & WRITEBACK_CACHE).toBe(0)
    await off.ask(request(Opcode.OPEN, 17, O_WRONLY | O_APPEND, 0))
    const refused = session(ops, { writebackCache: true })
    await refused.ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    await refused.ask(request(Opcode.OPEN, 17, O_WRONLY, 0))
    expect(flags).toEqual([O_WRONLY | O_APPEND, O_WRONLY])
  })

  it('opens and creates write-only handles for direct I/O (no page-cache copy, no security.capability probe), unless the writeback cache holds writes', async () => {
    const WRITEBACK_CACHE = 1 << 16
    const FOPEN_DIRECT_IO = 1
    const ops: Partial<InodeOperations> = {
      open: async () => 1,
      create: async () => ({ ...fileEntry, fh: 2 }),
    }
    const openFlags = (reply: { body: Buffer }) => reply.body.readUInt32LE(8)
    const createFlags = (reply: { body: Buffer }) => reply.body.readUInt32LE(ENTRY_OUT_SIZE + 8)
    const plain = session(ops, { writebackCache: false })
    await plain.ask(request(Opcode.INIT, 0, 7, 31, 65536, 0))
    expect(openFlags(await plain.ask(request(Opcode.OPEN, 17, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0)))).toBe(FOPEN_DIRECT_IO)
    expect(createFlags(await plain.ask(request(Opcode.CREATE, ROOT_INO, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0o100644, 0, 0, 'f')))).toBe(FOPEN_DIRECT_IO)
    // Handles that read keep the page cache.
    expect(openFlags(await plain.ask(request(Opcode.OPEN, 17, OpenFlags.O_RDWR, 0)))).toBe(0)
    expect(openFlags(await plain.ask(request(Opcode.OPEN, 17, OpenFlags.O_RDONLY, 0)))).toBe(0)
    const cached = session(ops, { writebackCache: true })
    await cached.ask(request(Opcode.INIT, 0, 7, 31, 65536, WRITEBACK_CACHE))
    expect(openFlags(await cached.ask(request(Opcode.OPEN, 17, OpenFlags.O_WRONLY, 0)))).toBe(0)
  })

  it('opens and creates with FOPEN_NOFLUSH the handles whose close the backend says needs no flush, only when it has flush', async () => {
    const FOPEN_NOFLUSH = 1 << 5
    const asked: Array<[number, number]> = []
    const ops: Partial<InodeOperations> = {
      open: async (_ctx, ino) => ino + 1000,
      create: async () => ({ ...fileEntry, ino: 18, fh: 2 }),
      flush: async () => {},
      // Node 17's closes need none.
      flushNeeded: (ino, fh) => (asked.push([ino, fh]), ino !== 17),
    }
    const noFlush = (flags: number) => (flags & FOPEN_NOFLUSH) !== 0
    const { ask } = session(ops)
    expect(noFlush((await ask(request(Opcode.OPEN, 17, OpenFlags.O_RDONLY, 0))).body.readUInt32LE(8))).toBe(true)
    expect(noFlush((await ask(request(Opcode.OPEN, 19, OpenFlags.O_RDONLY, 0))).body.readUInt32LE(8))).toBe(false)
    expect(noFlush((await ask(request(Opcode.CREATE, ROOT_INO, OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0o100644, 0, 0, 'f'))).body.readUInt32LE(ENTRY_OUT_SIZE + 8))).toBe(false)
    expect(asked).toEqual([[17, 1017], [19, 1019], [18, 2]])
    // Without flush the kernel stops asking after one ENOSYS: nothing to spare, nothing asked.
    const { flush: _, ...withoutFlush } = ops
    const other = session(withoutFlush)
    expect(noFlush((await other.ask(request(Opcode.OPEN, 17, OpenFlags.O_RDONLY, 0))).body.readUInt32LE(8))).toBe(false)
    expect(asked).toHaveLength(3)
  })

  it('answers flush, fsync, fsyncdir and access a backend lacks with ENOSYS, which the kernel remembers as done', async () => {
    const { ask } = session({})
    expect((await ask(request(Opcode.FLUSH, 17, 1n, 0, 0, 0n))).errno).toBe(Errno.ENOSYS)
    expect((await ask(request(Opcode.FSYNC, 17, 1n, 0, 0))).errno).toBe(Errno.ENOSYS)
    expect((await ask(request(Opcode.ACCESS, 17, 4, 0))).errno).toBe(Errno.ENOSYS)
    const flushed: number[] = []
    const withFlush = session({ flush: async (_ctx, _ino, fh) => void flushed.push(fh) })
    expect((await withFlush.ask(request(Opcode.FLUSH, 17, 9n, 0, 0, 0n))).errno).toBe(0)
    expect(flushed).toEqual([9])
  })

  it('lends the bytes of writes and xattr values to the backend: handle() says until when the request stays in use', async () => {
    const received: Buffer[] = []
    let answer = (_count: number) => {}
    const { s, replies } = session({
      write: (_ctx: RequestContext, _ino: number, _fh: number, data: Buffer) => {
        received.push(data)
        return new Promise<number>((resolve) => (answer = resolve))
      },
      setxattr: (_ctx: RequestContext, _ino: number, _name: string, value: Buffer) => void received.push(value),
    })
    const withData = (head: Buffer, data: Buffer) => {
      const req = Buffer.concat([head, data])
      req.writeUInt32LE(req.length, 0)
      return req
    }
    const write = (size: number) => withData(request(Opcode.WRITE, 17, 1n, 0n, size, 0, 0n, 0, 0), Buffer.alloc(size, 7))
    // Any size: the backend gets a view of the request, which stays in use until it answers.
    const pending = write(4096)
    const inUse = s.handle(pending)
    expect(inUse).toBeInstanceOf(Promise)
    expect(received[0]!.buffer).toBe(pending.buffer)
    let released = false
    void inUse!.then(() => (released = true))
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(released).toBe(false)
    answer(4096)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(released).toBe(true)
    expect(replies).toHaveLength(1)
    // Answered at once: the request's memory is free when handle() returns, and nothing was copied.
    const xattr = withData(request(Opcode.SETXATTR, 17, 3, 0, 'user.a'), Buffer.from('abc'))
    expect(s.handle(xattr)).toBeUndefined()
    expect(received[1]!.buffer).toBe(xattr.buffer)
    expect(received[1]!.toString()).toBe('abc')
    expect(replies).toHaveLength(2)
  })

  it('refuses unknown opcodes and the xattr calls a backend lacks with ENOSYS', async () => {
    // ENOSYS, not EOPNOTSUPP: on ENOSYS the kernel stops sending that xattr call for the whole
    // mount and answers EOPNOTSUPP itself (otherwise every write asks for security.capability).
    const { ask } = session({})
    expect((await ask(request(99, ROOT_INO))).errno).toBe(Errno.ENOSYS)
    expect((await ask(request(Opcode.GETXATTR, ROOT_INO, 0, 0, 'user.a'))).errno).toBe(Errno.ENOSYS)
    expect((await ask(request(Opcode.LISTXATTR, ROOT_INO, 0, 0))).errno).toBe(Errno.ENOSYS)
  })
})
