import type { RequestHandler } from '../driver.js'
import { Errno } from '../errno.js'
import type { MountOptions } from '../mount-options.js'
import type { RequestArgs, RequestName, RequestResult } from '../operations.js'
import { OpenFlags, Timespec, type Stat, type StatVfs } from '../types.js'
import { BackingFiles, type BackingRegistry, type DescriptorIo } from './backing-files.js'
import { DirectoryListings, listed, type ListedEntry } from './directory-listings.js'
import { NodeTable } from './node-table.js'
import {
  ATTR_OUT_SIZE,
  ENTRY_OUT_SIZE,
  FOPEN_DIRECT_IO,
  FOPEN_KEEP_CACHE,
  FOPEN_PASSTHROUGH,
  FUSE_FSYNC_FDATASYNC,
  FUSE_GETATTR_FH,
  Fattr,
  IN_HEADER_SIZE as IN,
  INIT_OUT_SIZE,
  InitFlag,
  InitFlag2,
  OPEN_OUT_SIZE,
  OUT_HEADER_SIZE as OUT,
  Opcode,
  STATFS_OUT_SIZE,
  direntPlusSize,
  direntSize,
  encodeAttrOut,
  encodeDirent,
  encodeEntry,
  encodeInitOut,
  encodeOpenOut,
  encodeStatfs,
  readName,
  readU64,
  replyBuffer,
  truncateReply,
  writeU64,
} from './protocol.js'

/** A request failed with this errno (thrown inside the session, answered to the kernel). */
class Refusal {
  constructor(readonly errno: number) {}
}

const NO_STATFS: StatVfs = { bsize: 512, frsize: 512, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }
const UNCHANGED_ID = 0xffff_ffff
const SPARE_REPLY_BUFFERS = 8

/**
 * Decodes FUSE requests, runs them through the RequestHandler and encodes the replies. One
 * instance per mount; `send` writes one reply to /dev/fuse.
 */
export class KernelSession {
  private readonly nodes = new NodeTable()
  private readonly listings = new DirectoryListings()
  /** With autoCache: size and mtime of each node at its last open, to keep its pages if unchanged. */
  private readonly openedVersion = new Map<number, string>()
  /** Open file handles per node: an unlinked file is still reached through one of them. */
  private readonly openHandles = new Map<number, number[]>()
  private readonly pooledCapacity: number
  private readonly spareReplyBuffers: Buffer[] = []
  private readonly pooledBuffers = new WeakSet<ArrayBufferLike>()

  private readonly backing: BackingFiles

  constructor(
    private readonly send: (reply: Buffer) => void,
    private readonly handler: RequestHandler,
    private readonly options: MountOptions,
    kernelFiles: { backing?: BackingRegistry; descriptors?: DescriptorIo } = {},
  ) {
    // With --debug every read and write goes through the dispatcher, so that the trace shows it.
    this.backing = new BackingFiles(handler, kernelFiles.backing, options.debug ? undefined : kernelFiles.descriptors)
    this.pooledCapacity = OUT + Math.max(options.maxWrite, 131072)
  }

  handle(req: Buffer): void {
    const opcode = req.readUInt32LE(4)
    const unique = readU64(req, 8)
    if (opcode === Opcode.FORGET) return this.forget(readU64(req, 16), readU64(req, IN))
    if (opcode === Opcode.BATCH_FORGET) return this.batchForget(req)
    if (opcode === Opcode.INTERRUPT) return // requests are short; the kernel gets their answer
    this.run(opcode, req).then(
      (reply) => {
        this.send(reply ?? replyBuffer(unique, 0))
        // Sent synchronously: a pooled buffer can serve the next large reply.
        if (reply && this.pooledBuffers.has(reply.buffer) && this.spareReplyBuffers.length < SPARE_REPLY_BUFFERS) {
          this.spareReplyBuffers.push(Buffer.from(reply.buffer))
        }
      },
      (error: unknown) => this.send(replyBuffer(unique, 0, -(error instanceof Refusal ? error.errno : Errno.EIO))),
    )
  }

  private batchForget(req: Buffer): void {
    const count = req.readUInt32LE(IN)
    for (let i = 0, at = IN + 8; i < count && at + 16 <= req.length; i++, at += 16) this.forget(readU64(req, at), readU64(req, at + 8))
  }

  private forget(nodeid: number, count: number): void {
    if (!this.nodes.forget(nodeid, count)) return
    this.openedVersion.delete(nodeid)
    this.listings.finished(nodeid)
  }

  /** The reply body for one request; undefined for an empty success. */
  private async run(opcode: number, req: Buffer): Promise<Buffer | undefined> {
    const unique = readU64(req, 8)
    const nodeid = readU64(req, 16)
    switch (opcode) {
      case Opcode.INIT:
        return this.init(unique, req)
      case Opcode.DESTROY:
        return undefined
      case Opcode.LOOKUP: {
        const [name] = readName(req, IN)
        const path = this.childPath(nodeid, name)
        let stat: Stat
        try {
          stat = await this.ask('getattr', [path])
        } catch (error) {
          if (!(error instanceof Refusal && error.errno === Errno.ENOENT && this.options.negativeTimeout > 0)) throw error
          const reply = replyBuffer(unique, ENTRY_OUT_SIZE)
          encodeEntry(reply, OUT, 0, undefined, this.options.negativeTimeout, 0)
          return reply
        }
        return this.entry(unique, nodeid, name, stat)
      }
      case Opcode.GETATTR: {
        const path = this.path(nodeid)
        const withFh = (req.readUInt32LE(IN) & FUSE_GETATTR_FH) !== 0
        return this.attr(unique, await this.stat(path, withFh ? readU64(req, IN + 8) : this.handleOf(nodeid)))
      }
      case Opcode.SETATTR:
        return this.setattr(unique, nodeid, req)
      case Opcode.READLINK: {
        const target = await this.ask('readlink', [this.path(nodeid)])
        const bytes = Buffer.from(target)
        const reply = replyBuffer(unique, bytes.length)
        bytes.copy(reply, OUT)
        return reply
      }
      case Opcode.SYMLINK: {
        const [name, next] = readName(req, IN)
        const [target] = readName(req, next)
        const path = this.childPath(nodeid, name)
        await this.ask('symlink', [target, path])
        return this.entry(unique, nodeid, name, await this.ask('getattr', [path]))
      }
      case Opcode.MKNOD: {
        const [name] = readName(req, IN + 16)
        const path = this.childPath(nodeid, name)
        await this.ask('mknod', [path, req.readUInt32LE(IN), req.readUInt32LE(IN + 4)])
        return this.entry(unique, nodeid, name, await this.ask('getattr', [path]))
      }
      case Opcode.MKDIR: {
        const [name] = readName(req, IN + 8)
        const path = this.childPath(nodeid, name)
        await this.ask('mkdir', [path, req.readUInt32LE(IN)])
        return this.entry(unique, nodeid, name, await this.ask('getattr', [path]))
      }
      case Opcode.UNLINK:
      case Opcode.RMDIR: {
        const [name] = readName(req, IN)
        await this.ask(opcode === Opcode.UNLINK ? 'unlink' : 'rmdir', [this.childPath(nodeid, name)])
        this.nodes.remove(nodeid, name)
        return undefined
      }
      case Opcode.RENAME:
      case Opcode.RENAME2: {
        const rename2 = opcode === Opcode.RENAME2
        if (rename2 && req.readUInt32LE(IN + 8) !== 0) throw new Refusal(Errno.EINVAL)
        const newParent = readU64(req, IN)
        const [from, next] = readName(req, IN + (rename2 ? 16 : 8))
        const [to] = readName(req, next)
        await this.ask('rename', [this.childPath(nodeid, from), this.childPath(newParent, to)])
        this.nodes.rename(nodeid, from, newParent, to)
        return undefined
      }
      case Opcode.LINK: {
        const [name] = readName(req, IN + 8)
        const path = this.childPath(nodeid, name)
        await this.ask('link', [this.path(readU64(req, IN)), path])
        return this.entry(unique, nodeid, name, await this.ask('getattr', [path]))
      }
      case Opcode.OPEN: {
        const path = this.path(nodeid)
        const fh = this.handler.implements('open') ? ((await this.ask('open', [path, req.readUInt32LE(IN)])) ?? 0) : 0
        return this.opened(unique, nodeid, path, fh, req.readUInt32LE(IN))
      }
      case Opcode.READ: {
        const size = req.readUInt32LE(IN + 16)
        const reply = this.pooledReply(unique, size)
        const count = await this.ask('read', [this.path(nodeid), readU64(req, IN), reply.subarray(OUT), readU64(req, IN + 8)])
        return truncateReply(reply, Math.min(count, size))
      }
      case Opcode.WRITE: {
        const size = req.readUInt32LE(IN + 16)
        const data = req.subarray(IN + 40, IN + 40 + size)
        const count = await this.ask('write', [this.path(nodeid), readU64(req, IN), data, readU64(req, IN + 8)])
        const reply = replyBuffer(unique, 8)
        reply.writeUInt32LE(count, OUT)
        reply.writeUInt32LE(0, OUT + 4)
        return reply
      }
      case Opcode.STATFS: {
        const s = this.handler.implements('statfs') ? await this.ask('statfs', [this.path(nodeid)]) : NO_STATFS
        const reply = replyBuffer(unique, STATFS_OUT_SIZE)
        encodeStatfs(reply, OUT, s)
        return reply
      }
      case Opcode.RELEASE: {
        const fh = readU64(req, IN)
        this.closed(nodeid, fh)
        this.backing.detach(nodeid, fh)
        return this.optional('release', [this.path(nodeid), fh])
      }
      case Opcode.FLUSH:
        return this.optional('flush', [this.path(nodeid), readU64(req, IN)])
      case Opcode.FSYNC:
        return this.optional('fsync', [this.path(nodeid), (req.readUInt32LE(IN + 8) & FUSE_FSYNC_FDATASYNC) !== 0, readU64(req, IN)])
      case Opcode.SETXATTR: {
        const size = req.readUInt32LE(IN)
        const [name, next] = readName(req, IN + 8)
        await this.xattrCall('setxattr', [this.path(nodeid), name, req.subarray(next, next + size), req.readUInt32LE(IN + 4)])
        return undefined
      }
      case Opcode.GETXATTR: {
        const [name] = readName(req, IN + 8)
        const value = await this.xattrCall('getxattr', [this.path(nodeid), name])
        return this.sized(unique, req.readUInt32LE(IN), value ?? new Refusal(Errno.ENODATA))
      }
      case Opcode.LISTXATTR: {
        const names = await this.xattrCall('listxattr', [this.path(nodeid)])
        return this.sized(unique, req.readUInt32LE(IN), Buffer.from((names ?? []).map((n) => n + '\0').join('')))
      }
      case Opcode.REMOVEXATTR: {
        const [name] = readName(req, IN)
        await this.xattrCall('removexattr', [this.path(nodeid), name])
        return undefined
      }
      case Opcode.ACCESS:
        return this.optional('access', [this.path(nodeid), req.readUInt32LE(IN)])
      case Opcode.CREATE: {
        if (!this.handler.implements('create')) throw new Refusal(Errno.ENOSYS) // the kernel falls back to mknod + open
        const [name] = readName(req, IN + 16)
        const path = this.childPath(nodeid, name)
        const fh = (await this.ask('create', [path, req.readUInt32LE(IN + 4)])) ?? 0
        const stat = await this.stat(path, fh)
        const reply = replyBuffer(unique, ENTRY_OUT_SIZE + OPEN_OUT_SIZE)
        const id = this.nodes.lookup(nodeid, name)
        encodeEntry(reply, OUT, id, stat, this.options.entryTimeout, this.options.attrTimeout)
        if (this.options.autoCache) this.openedVersion.set(id, version(stat))
        const { flags, backingId } = this.openedHandle(id, fh, req.readUInt32LE(IN))
        encodeOpenOut(reply, OUT + ENTRY_OUT_SIZE, fh, flags, backingId)
        return reply
      }
      case Opcode.OPENDIR: {
        if (this.listings.zeroMessageOpen) throw new Refusal(Errno.ENOSYS) // from now on the kernel does not ask
        const path = this.path(nodeid)
        const fh = this.handler.implements('opendir') ? ((await this.ask('opendir', [path, req.readUInt32LE(IN)])) ?? 0) : 0
        const reply = replyBuffer(unique, OPEN_OUT_SIZE)
        encodeOpenOut(reply, OUT, this.listings.open(fh), 0)
        return reply
      }
      case Opcode.READDIR:
      case Opcode.READDIRPLUS:
        return this.readdir(unique, nodeid, req, opcode === Opcode.READDIRPLUS)
      case Opcode.RELEASEDIR: {
        const dir = this.listings.release(readU64(req, IN))
        return this.optional('releasedir', [this.path(nodeid), dir?.fh ?? 0])
      }
      case Opcode.FSYNCDIR: {
        const dir = this.listings.get(readU64(req, IN))
        return this.optional('fsyncdir', [this.path(nodeid), (req.readUInt32LE(IN + 8) & FUSE_FSYNC_FDATASYNC) !== 0, dir?.fh ?? 0])
      }
      default:
        throw new Refusal(Errno.ENOSYS)
    }
  }

  private init(unique: number, req: Buffer): Buffer {
    const major = req.readUInt32LE(IN)
    if (major < 7) throw new Refusal(Errno.EPROTO)
    const offered = req.readUInt32LE(IN + 12)
    const offered2 = offered & InitFlag.INIT_EXT && req.length >= IN + 20 ? req.readUInt32LE(IN + 16) : 0
    const maxPages = Math.ceil(this.options.maxWrite / 4096)
    let flags = InitFlag.ASYNC_READ | InitFlag.BIG_WRITES | InitFlag.DO_READDIRPLUS | InitFlag.READDIRPLUS_AUTO | (maxPages > 32 ? InitFlag.MAX_PAGES : 0)
    let flags2 = 0
    const opendirNeeded = this.handler.implements('opendir') || this.handler.implements('releasedir')
    this.listings.zeroMessageOpen = (offered & InitFlag.NO_OPENDIR_SUPPORT) !== 0 && !opendirNeeded
    if (this.backing.available && offered2 & InitFlag2.PASSTHROUGH) {
      flags |= InitFlag.INIT_EXT
      flags2 = InitFlag2.PASSTHROUGH
      this.backing.enable()
    }
    const reply = replyBuffer(unique, INIT_OUT_SIZE)
    // Stack depth 1: backing files on ordinary filesystems, not on another stacking one.
    const maxStackDepth = flags2 ? 1 : 0
    encodeInitOut(reply, OUT, { maxReadahead: req.readUInt32LE(IN + 8), flags: offered & flags, flags2, maxWrite: this.options.maxWrite, maxPages, maxStackDepth })
    return reply
  }

  private async setattr(unique: number, nodeid: number, req: Buffer): Promise<Buffer> {
    const path = this.path(nodeid)
    const valid = req.readUInt32LE(IN)
    const fh = valid & Fattr.FH ? readU64(req, IN + 8) : this.handleOf(nodeid)
    if (valid & Fattr.MODE) await this.ask('chmod', [path, req.readUInt32LE(IN + 68)])
    if (valid & (Fattr.UID | Fattr.GID)) {
      const uid = valid & Fattr.UID ? req.readUInt32LE(IN + 76) : UNCHANGED_ID
      const gid = valid & Fattr.GID ? req.readUInt32LE(IN + 80) : UNCHANGED_ID
      await this.ask('chown', [path, uid, gid])
    }
    if (valid & Fattr.SIZE) {
      const size = readU64(req, IN + 16)
      if (fh !== undefined && this.handler.implements('ftruncate')) await this.ask('ftruncate', [path, fh, size])
      else await this.ask('truncate', [path, size])
    }
    if (valid & (Fattr.ATIME | Fattr.MTIME)) {
      const now = Timespec.now()
      const time = (flag: number, nowFlag: number, secAt: number, nsecAt: number): Timespec | undefined => {
        if (!(valid & flag)) return undefined
        if (valid & nowFlag) return now
        return { sec: Number(req.readBigInt64LE(IN + secAt)), nsec: req.readUInt32LE(IN + nsecAt) }
      }
      await this.ask('utimens', [path, time(Fattr.ATIME, Fattr.ATIME_NOW, 32, 56), time(Fattr.MTIME, Fattr.MTIME_NOW, 40, 60)])
    }
    return this.attr(unique, await this.stat(path, fh))
  }

  private async readdir(unique: number, nodeid: number, req: Buffer, plus: boolean): Promise<Buffer> {
    const dir = this.listings.reading(nodeid, readU64(req, IN))
    if (!dir) throw new Refusal(Errno.EBADF)
    const offset = readU64(req, IN + 8)
    const size = req.readUInt32LE(IN + 16)
    // Listed once per open (and again on rewind), then served by offset: entry i has offset i + 1.
    if (offset === 0 || !dir.entries) {
      dir.entries = listed(await this.ask('readdir', [this.path(nodeid), dir.fh, plus]))
    }
    const reply = this.pooledReply(unique, size)
    let used = 0
    for (let i = offset; i < dir.entries.length; i++) {
      const entry = dir.entries[i] as ListedEntry
      const length = plus ? direntPlusSize(entry.bytes.length) : direntSize(entry.bytes.length)
      if (used + length > size) break
      if (plus) {
        // The kernel keeps every entry with a node id as looked up (and forgets it later); node id
        // 0 gives it the name alone.
        const id = entry.stat ? this.nodes.lookup(nodeid, entry.name) : 0
        encodeEntry(reply, OUT + used, id, entry.stat, this.options.entryTimeout, this.options.attrTimeout)
        used += ENTRY_OUT_SIZE
      }
      used += encodeDirent(reply, OUT + used, entry.ino, i + 1, entry.type, entry.bytes)
    }
    if (used === 0) this.listings.finished(nodeid)
    return truncateReply(reply, used)
  }

  private async opened(unique: number, nodeid: number, path: string, fh: number, requestFlags: number): Promise<Buffer> {
    const opened = this.openedHandle(nodeid, fh, requestFlags)
    // A passthrough file's pages are the backing file's own: nothing of ours to keep or drop.
    if (this.options.autoCache && opened.backingId === undefined) {
      // Keep the pages only when size and mtime are what they were at the last open.
      const current = version(await this.stat(path, fh))
      if (this.openedVersion.get(nodeid) === current) opened.flags |= FOPEN_KEEP_CACHE
      this.openedVersion.set(nodeid, current)
    }
    const reply = replyBuffer(unique, OPEN_OUT_SIZE)
    encodeOpenOut(reply, OUT, fh, opened.flags, opened.backingId)
    return reply
  }

  /**
   * Registers a handle just opened or created, with its open flags: the kernel's own I/O on the
   * backing file (FUSE passthrough); or, for O_DIRECT, every read and write sent to us (answered
   * from the source's page cache, as bindfs does: by the addon when the handle has a descriptor,
   * else by the backend); or our page-cache policy.
   */
  private openedHandle(nodeid: number, fh: number, requestFlags: number): { flags: number; backingId: number | undefined } {
    this.opening(nodeid, fh)
    const direct = (requestFlags & OpenFlags.O_DIRECT) !== 0
    const backingId = this.backing.attach(nodeid, fh, direct)
    if (backingId !== undefined) return { flags: FOPEN_PASSTHROUGH, backingId }
    return { flags: direct ? FOPEN_DIRECT_IO : this.options.kernelCache ? FOPEN_KEEP_CACHE : 0, backingId }
  }

  private opening(nodeid: number, fh: number): void {
    const handles = this.openHandles.get(nodeid)
    if (handles) handles.push(fh)
    else this.openHandles.set(nodeid, [fh])
  }

  private closed(nodeid: number, fh: number): void {
    const handles = this.openHandles.get(nodeid)
    const index = handles?.indexOf(fh) ?? -1
    if (!handles || index < 0) return
    handles.splice(index, 1)
    if (handles.length === 0) this.openHandles.delete(nodeid)
  }

  /** A handle for a request that came without one: only an unlinked node needs it (fstat). */
  private handleOf(nodeid: number): number | undefined {
    return this.nodes.isDetached(nodeid) ? this.openHandles.get(nodeid)?.[0] : undefined
  }

  /**
   * A reply buffer for a large body (READ, READDIR), from the spares when it fits: fewer
   * ArrayBuffers for the GC. A backend's late result after ETIMEDOUT never comes back here.
   */
  private pooledReply(unique: number, size: number): Buffer {
    if (size + OUT > this.pooledCapacity) return replyBuffer(unique, size)
    let spare = this.spareReplyBuffers.pop()
    if (!spare) {
      spare = Buffer.allocUnsafeSlow(this.pooledCapacity)
      this.pooledBuffers.add(spare.buffer)
    }
    const buf = spare.subarray(0, OUT + size)
    buf.writeUInt32LE(OUT + size, 0)
    buf.writeInt32LE(0, 4)
    writeU64(buf, 8, unique)
    return buf
  }

  private entry(unique: number, parent: number, name: string, stat: Stat): Buffer {
    const reply = replyBuffer(unique, ENTRY_OUT_SIZE)
    encodeEntry(reply, OUT, this.nodes.lookup(parent, name), stat, this.options.entryTimeout, this.options.attrTimeout)
    return reply
  }

  private attr(unique: number, stat: Stat): Buffer {
    const reply = replyBuffer(unique, ATTR_OUT_SIZE)
    encodeAttrOut(reply, OUT, stat, this.options.attrTimeout)
    return reply
  }

  /** A value of `size` bytes at most; size 0 asks for the length only. */
  private sized(unique: number, size: number, value: Buffer | Refusal): Buffer {
    if (value instanceof Refusal) throw value
    if (size === 0) {
      const reply = replyBuffer(unique, 8)
      reply.writeUInt32LE(value.length, OUT)
      reply.writeUInt32LE(0, OUT + 4)
      return reply
    }
    if (value.length > size) throw new Refusal(Errno.ERANGE)
    const reply = replyBuffer(unique, value.length)
    value.copy(reply, OUT)
    return reply
  }

  private stat(path: string, fh: number | undefined): Promise<Stat> {
    return fh !== undefined && this.handler.implements('fgetattr') ? this.ask('fgetattr', [path, fh]) : this.ask('getattr', [path])
  }

  /** Requests a backend may leave out and the kernel treats as done. */
  private async optional<K extends RequestName>(name: K, args: RequestArgs<K>): Promise<undefined> {
    if (this.handler.implements(name)) await this.ask(name, args)
    return undefined
  }

  /** Extended attribute requests: a backend without them answers EOPNOTSUPP. */
  private async xattrCall<K extends 'setxattr' | 'getxattr' | 'listxattr' | 'removexattr'>(name: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
    if (!this.handler.implements(name)) throw new Refusal(Errno.EOPNOTSUPP)
    return this.ask(name, args)
  }

  private ask<K extends RequestName>(name: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
    if (!this.handler.implements(name)) return Promise.reject(new Refusal(Errno.ENOSYS))
    return new Promise((resolve, reject) => {
      this.handler.dispatch(name, args, (errno, value) => (errno ? reject(new Refusal(errno)) : resolve(value as RequestResult<K>)))
    })
  }

  private path(nodeid: number): string {
    const path = this.nodes.path(nodeid)
    if (path === undefined) throw new Refusal(Errno.ESTALE)
    return path
  }

  private childPath(parent: number, name: string): string {
    const path = this.nodes.childPath(parent, name)
    if (path === undefined) throw new Refusal(Errno.ESTALE)
    return path
  }
}

function version(stat: Stat): string {
  return `${stat.size}:${stat.mtime.sec}:${stat.mtime.nsec}`
}
