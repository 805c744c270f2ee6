import type { ArgsOf, InodeHandler, ResultOf } from '../driver.js'
import { Errno, FsError, errnoName } from '../errno.js'
import type { Entry, InodeOperations, InodeRequestName } from '../inode-operations.js'
import type { Logger } from '../logger.js'
import type { MountOptions } from '../mount-options.js'
import { CallerContext } from '../request-context.js'
import type { ResidentReads } from '../resident-data.js'
import type { Stat } from '../types.js'
import { BackingFiles, type BackingRegistry, type DescriptorIo } from './backing-files.js'
import { IN_HEADER_SIZE, decodeBatchForget, decodeForget, decodeHeader, decodeInterrupt, type RequestHeader } from './decoders.js'
import { DirectoryListings, type ListingEnds } from './directory-listings.js'
import { dropHeld } from './directory-requests.js'
import { PageVersions } from './page-versions.js'
import { REQUEST_HANDLERS } from './request-handlers.js'
import { MalformedRequest } from './request-reader.js'
import type { UringTransport } from './uring-transport.js'
import { ATTR_OUT_SIZE, ENTRY_OUT_SIZE, OUT_HEADER_SIZE as OUT, Opcode, encodeAttrOut, encodeEntry, replyBuffer, writeI32, writeU32, writeU64 } from './protocol.js'

/** One request being handled: its header, its body after the header, and the caller. */
export interface KernelRequest {
  readonly header: RequestHeader
  readonly body: Buffer
  readonly ctx: CallerContext
  /** Set when its reply is sent: a request answered before its handler returned never waits for INTERRUPT. */
  answered: boolean
  /** Set by a handler that hands bytes of `body` to the backend instead of a copy: settles when the backend is done with them. */
  lent: Promise<unknown> | undefined
}

/**
 * Answers one kind of request, exactly once, through the session: `call` for one backend
 * operation, `settle` for a handler that awaits. A throw is answered with its errno.
 */
export type RequestHandlerFn = (session: KernelSession, request: KernelRequest) => void

/** A reply as one buffer, or as pieces written together (the first holds fuse_out_header). */
export type Reply = Buffer | readonly Buffer[]

/** Where replies can be written from pieces (writev): the addon's /dev/fuse writes, not io_uring's. */
export interface PieceReplies {
  /** The most pieces one reply may have. */
  readonly most: number
  send(pieces: readonly Buffer[]): void
}

/** Makes the reply to a backend's result (undefined: an empty success); it is sent at once. */
export type ReplyEncoder<T> = (session: KernelSession, request: KernelRequest, value: T) => Reply | undefined

/** Answers an errno of the backend otherwise (a reply), or leaves it as the reply (undefined). */
export type ErrnoEncoder = (session: KernelSession, request: KernelRequest, errno: number) => Buffer | undefined

const SPARE_REPLY_BUFFERS = 8

/**
 * The FUSE session of one mount: decodes each request's header, keeps the caller's context for
 * INTERRUPT, hands the request to the handler for its opcode (request-handlers.ts) and sends the
 * reply. The handlers speak the inode layer through `ask`.
 */
export class KernelSession {
  readonly listings = new DirectoryListings()
  readonly pageVersions = new PageVersions()
  readonly backing: BackingFiles
  /** FUSE over io_uring, offered to the kernel at INIT (--io-uring). */
  readonly uring: UringTransport | undefined
  /** Where the driver answers reads from bytes the backend holds (ResidentData): forgotten at RELEASE. */
  readonly resident: ResidentReads | undefined
  /** Where the driver answers the end of a listing read to its last entry (not over io_uring or with --debug). */
  readonly listingEnds: ListingEnds | undefined
  /** Where replies may be written from pieces (READ from readSlices), if anywhere. */
  readonly pieceReplies: PieceReplies | undefined
  /** Agreed at INIT: the kernel caches writes (see openFlagsForBackend). */
  writebackCache = false
  /** Requests being answered, by the kernel's unique id: INTERRUPT aborts their signal. */
  private readonly inFlight = new Map<number, CallerContext>()
  private readonly pooledCapacity: number
  private readonly spareReplyBuffers: Buffer[] = []
  private readonly pooledBuffers = new WeakSet<ArrayBufferLike>()
  /** Reply buffers reused by size: see scratchReply. */
  private readonly scratch = new Map<number, Buffer>()
  /** The header of a reply sent in pieces, reused as scratch replies are. */
  private readonly piecesHeader = replyBuffer(0, 0)

  constructor(
    /** `busy`: the thread has work to do right after this reply (see SessionAddon.reply). */
    private readonly send: (reply: Buffer, busy: boolean) => void,
    readonly handler: InodeHandler,
    readonly options: MountOptions,
    private readonly logger: Logger,
    kernelFiles: { backing?: BackingRegistry; descriptors?: DescriptorIo; uring?: UringTransport; resident?: ResidentReads; listingEnds?: ListingEnds; pieceReplies?: PieceReplies } = {},
    /** When set, requests from other users are answered EACCES (allow_root). */
    private readonly admittedUids?: readonly number[],
  ) {
    // With --debug every read and write goes through the dispatcher, so that the trace shows it.
    this.backing = new BackingFiles(handler, kernelFiles.backing, options.debug ? undefined : kernelFiles.descriptors)
    this.uring = kernelFiles.uring
    this.resident = kernelFiles.resident
    this.listingEnds = kernelFiles.listingEnds
    this.pieceReplies = kernelFiles.pieceReplies
    this.pooledCapacity = OUT + Math.max(options.maxWrite, 131072)
  }

  /**
   * Handles one request, the first `length` bytes of `request` (a buffer reused for the next
   * request: no view of it is made per request but the body). Returns a promise when bytes of
   * `request` are still in use after this call (lent to a backend that has not answered yet):
   * the caller must not reuse its memory before it settles.
   */
  handle(request: Buffer, length = request.length): Promise<unknown> | undefined {
    let header: RequestHeader
    try {
      header = decodeHeader(request, length)
    } catch (error) {
      this.logger.error(`dropped a request the kernel should not send: ${(error as Error).message}`)
      if (length >= 16) this.send(this.emptyReply(Number(request.readBigUInt64LE(8)), Errno.EIO), false)
      return undefined
    }
    const body = request.subarray(IN_HEADER_SIZE, length)
    try {
      switch (header.opcode) {
        case Opcode.FORGET:
          this.forget(header.nodeid, decodeForget(body))
          return undefined
        case Opcode.BATCH_FORGET:
          for (const [nodeid, nlookup] of decodeBatchForget(body)) this.forget(nodeid, nlookup)
          return undefined
        case Opcode.INTERRUPT:
          // Not found: answered already. Either way the kernel expects no reply to INTERRUPT.
          this.inFlight.get(decodeInterrupt(body).unique)?.abort(new FsError('EINTR', 'interrupted by the kernel'))
          return undefined
      }
    } catch (error) {
      this.logger.error(`opcode ${header.opcode}: ${(error as Error).message}`)
      return undefined
    }
    const run = REQUEST_HANDLERS[header.opcode]
    if (run === undefined) {
      this.send(this.emptyReply(header.unique, Errno.ENOSYS), false)
      return undefined
    }
    if (this.admittedUids && header.opcode !== Opcode.INIT && !this.admittedUids.includes(header.uid)) {
      this.send(this.emptyReply(header.unique, Errno.EACCES), false)
      return undefined
    }
    const req: KernelRequest = { header, body, ctx: new CallerContext(header.uid, header.gid, header.pid), answered: false, lent: undefined }
    try {
      run(this, req)
    } catch (error) {
      this.fail(req, this.errnoOf(header, error))
    }
    if (req.answered) return undefined
    this.inFlight.set(header.unique, req.ctx)
    return req.lent
  }

  /** FORGET: the node's unfinished listing goes first (the lookup of an entry it held is given back), then the lookups. */
  forget(nodeid: number, nlookup: number): void {
    const listing = this.listings.forgotten(nodeid)
    if (listing) dropHeld(this, listing)
    this.handler.forget(nodeid, nlookup)
  }

  /** The connection is gone: requests still in flight are aborted (their replies go nowhere). */
  close(): void {
    for (const ctx of this.inFlight.values()) ctx.abort(new FsError('ENOTCONN', 'the mount is going away'))
    this.inFlight.clear()
  }

  /**
   * Answers `req` with one inode-layer operation: its result as `encode` makes it, its errno as
   * `onErrno` makes it or as the reply. Without a promise in between: a backend that answers
   * synchronously is answered in the same turn. Returns the backend's promise when it answers later.
   */
  call<K extends InodeRequestName>(
    req: KernelRequest,
    name: K,
    args: ArgsOf<InodeOperations, K>,
    encode: ReplyEncoder<ResultOf<InodeOperations, K>>,
    onErrno?: ErrnoEncoder,
  ): Promise<unknown> | undefined {
    if (!this.handler.implements(name)) {
      this.fail(req, Errno.ENOSYS)
      return undefined
    }
    return this.handler.dispatch(name, args, (errno, value) => {
      if (errno !== 0) {
        const reply = onErrno?.(this, req, errno)
        return reply ? this.finish(req, reply) : this.fail(req, errno)
      }
      let reply: Reply | undefined
      try {
        reply = encode(this, req, value as ResultOf<InodeOperations, K>)
      } catch (error) {
        return this.fail(req, this.errnoOf(req.header, error))
      }
      this.finish(req, reply ?? this.emptyReply(req.header.unique))
    })
  }

  /** Answers `req` with what a handler that awaits makes of it (a rejection as its errno). */
  settle(req: KernelRequest, reply: Promise<Buffer | undefined>): void {
    reply.then(
      (buf) => this.finish(req, buf ?? this.emptyReply(req.header.unique)),
      (error: unknown) => this.fail(req, this.errnoOf(req.header, error)),
    )
  }

  /** Runs an inode-layer operation for a handler that awaits; rejects with an FsError carrying its errno. */
  ask<K extends InodeRequestName>(name: K, args: ArgsOf<InodeOperations, K>): Promise<ResultOf<InodeOperations, K>> {
    if (!this.handler.implements(name)) return Promise.reject(new FsError(Errno.ENOSYS))
    return new Promise((resolve, reject) => {
      this.handler.dispatch(name, args, (errno, value) => (errno ? reject(new FsError(errno)) : resolve(value as ResultOf<InodeOperations, K>)))
    })
  }

  /** Answers `req` with an operation a backend may leave out, which the kernel then treats as done. */
  optional<K extends InodeRequestName>(req: KernelRequest, name: K, args: ArgsOf<InodeOperations, K>): void {
    if (this.handler.implements(name)) this.call(req, name, args, noReply)
    else this.finish(req, this.emptyReply(req.header.unique))
  }

  /**
   * An operation the kernel counts as done when the filesystem answers ENOSYS, and then stops
   * sending (flush, fsync, fsyncdir, access): a backend without it costs no request per close.
   */
  rememberedNoop<K extends InodeRequestName>(req: KernelRequest, name: K, args: ArgsOf<InodeOperations, K>): void {
    this.call(req, name, args, noReply)
  }

  /**
   * A small reply of `bodySize` bytes in a buffer of the session, reused: for ReplyEncoders
   * only, whose reply is sent as soon as it is made (`send` consumes it at once), so that none is
   * overwritten while in use. Fewer buffers for the GC than one per reply.
   */
  scratchReply(unique: number, bodySize: number): Buffer {
    let buf = this.scratch.get(bodySize)
    if (buf === undefined) this.scratch.set(bodySize, (buf = replyBuffer(unique, bodySize)))
    writeI32(buf, 4, 0)
    writeU64(buf, 8, unique)
    return buf
  }

  entryReply(unique: number, entry: Entry): Buffer {
    const reply = this.scratchReply(unique, ENTRY_OUT_SIZE)
    encodeEntry(reply, OUT, entry.ino, entry.attr, this.options.entryTimeout, this.options.attrTimeout, entry.generation)
    return reply
  }

  attrReply(unique: number, stat: Stat): Buffer {
    const reply = this.scratchReply(unique, ATTR_OUT_SIZE)
    encodeAttrOut(reply, OUT, stat, this.options.attrTimeout)
    return reply
  }

  emptyReply(unique: number, errno = 0): Buffer {
    const reply = this.scratchReply(unique, 0)
    writeI32(reply, 4, -errno)
    return reply
  }

  /**
   * A reply buffer for a large body (READ, READDIR), from the spares when it fits: fewer
   * ArrayBuffers for the GC. A late result after ETIMEDOUT never comes back here.
   */
  pooledReply(unique: number, size: number): Buffer {
    if (size + OUT > this.pooledCapacity) return replyBuffer(unique, size)
    let spare = this.spareReplyBuffers.pop()
    if (!spare) {
      spare = Buffer.allocUnsafeSlow(this.pooledCapacity)
      this.pooledBuffers.add(spare.buffer)
    }
    const buf = spare.subarray(0, OUT + size)
    writeU32(buf, 0, OUT + size)
    writeI32(buf, 4, 0)
    writeU64(buf, 8, unique)
    return buf
  }

  /**
   * A reply of the bytes of `slices` in order, `size` of them at most (a longer answer is cut, as
   * a read's count is), in pieces when they are few enough, else joined. Only where pieceReplies is set.
   */
  piecesReply(unique: number, slices: readonly Buffer[], size: number): Reply {
    const header = this.piecesHeader
    const pieces = [header]
    let total = 0
    for (const slice of slices) {
      if (!Buffer.isBuffer(slice)) throw new TypeError('readSlices answered something other than Buffers')
      const piece = slice.length > size - total ? slice.subarray(0, size - total) : slice
      if (piece.length > 0) pieces.push(piece)
      total += piece.length
    }
    writeU32(header, 0, OUT + total)
    writeU64(header, 8, unique)
    return pieces.length > this.pieceReplies!.most ? Buffer.concat(pieces) : pieces
  }

  /**
   * Sends the reply to `req` (exactly once: the handlers and `call` see to that); `busy` when
   * work follows it at once (a listing read ahead).
   */
  finish(req: KernelRequest, reply: Reply, busy = false): void {
    if (req.answered) return
    req.answered = true
    this.inFlight.delete(req.header.unique)
    if (!(reply instanceof Uint8Array)) {
      this.pieceReplies!.send(reply)
      return
    }
    this.send(reply, busy)
    // Sent synchronously: a pooled buffer can serve the next large reply.
    if (this.pooledBuffers.has(reply.buffer) && this.spareReplyBuffers.length < SPARE_REPLY_BUFFERS) {
      this.spareReplyBuffers.push(Buffer.from(reply.buffer))
    }
  }

  /** Answers `req` with an errno. */
  fail(req: KernelRequest, errno: number): void {
    this.finish(req, this.emptyReply(req.header.unique, errno))
  }

  private errnoOf(header: RequestHeader, error: unknown): number {
    if (error instanceof FsError) return error.errno
    // A malformed request, or a bug in a handler: the backend was not at fault.
    const what = error instanceof MalformedRequest ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)
    this.logger.error(`opcode ${header.opcode} on node ${header.nodeid} answered ${errnoName(Errno.EIO)}: ${what}`)
    return Errno.EIO
  }
}

const noReply = () => undefined
