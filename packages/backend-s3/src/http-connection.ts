import { connect as netConnect, type Socket } from 'node:net'
import { open } from 'node:fs/promises'
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls'
import { abortError } from './abortable.js'
import { ChunkedBody } from './chunked-body.js'
import type { FileRange } from './request-body.js'

/** An HTTP answer, its body read whole. */
export interface HttpAnswer {
  status: number
  /** Lower-case names; the values of a repeated header joined with ', '. */
  headers: Record<string, string>
  body: Buffer
}

/** One request and how to take its answer. */
export interface HttpExchange {
  /** The request line and headers, each ending in CRLF, and the blank line. */
  head: string
  /** Bytes in memory, or a range of a local file (read in pieces into one buffer, sent as read). */
  body: Buffer | FileRange | undefined
  /** A HEAD request: its answer has no body, whatever its headers say. */
  bodiless: boolean
  /**
   * Where the body of a successful answer of known length goes (at least `length` bytes); the
   * socket reads straight into it. Undefined: a new buffer. Throwing fails the exchange.
   */
  destination?: (headers: Record<string, string>, length: number) => Buffer | undefined
  /** The longest body taken; a longer one fails the exchange. */
  limit: number
  signal: AbortSignal
}

export interface ConnectionTarget {
  host: string
  port: number
  secure: boolean
  /** A connection silent this long while an exchange is under way is dropped (ETIMEDOUT). */
  idleTimeoutMs: number
}

/** A connection that failed during an exchange (a system error code, as node:net gives). */
export class ExchangeError extends Error {
  /** No byte of the answer came: on a reused connection, the server may just have closed it. */
  beforeAnswer = false

  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message)
  }
}

const SCRATCH_BYTES = 64 * 1024
/** The piece of a file body read and sent at a time. */
const FILE_PIECE_BYTES = 256 * 1024
const MAX_HEAD_BYTES = 64 * 1024
const CRLF2 = Buffer.from('\r\n\r\n')

type BodyFraming = { kind: 'length'; length: number } | { kind: 'chunked'; decoder: ChunkedBody } | { kind: 'close'; parts: Buffer[]; length: number }

/** The state of the exchange under way. */
interface Pending {
  exchange: HttpExchange
  resolve: (answer: HttpAnswer) => void
  reject: (error: Error) => void
  onAbort: () => void
  /** Bytes of the head seen so far (a head split over reads). */
  headSoFar: Buffer | undefined
  status: number
  headers: Record<string, string> | undefined
  framing: BodyFraming | undefined
  /** The body of a known length, and how much of it has come. */
  body: Buffer | undefined
  filled: number
  answered: boolean
  requestSent: boolean
  keepAlive: boolean
}

/**
 * One keep-alive HTTP/1.1 connection, one exchange at a time, without node:http's streams and
 * events: the socket reads into one scratch buffer, or straight into the body's destination once
 * the head says how long it is (a GET's range lands in the read-ahead buffer with no copy).
 */
export class HttpConnection {
  private readonly socket: Socket
  private readonly scratch = Buffer.allocUnsafe(SCRATCH_BYTES)
  /** The buffer the socket reads into next. */
  private target: Buffer = this.scratch
  private pending: Pending | undefined
  private closed = false
  /** Where pieces of file bodies are read, made at the first one. */
  private filePieces: [Buffer, Buffer] | undefined
  /** Exchanges answered on this connection. */
  exchanges = 0

  constructor(
    target: ConnectionTarget,
    /** Told once when the connection can serve no more exchanges. */
    private readonly onClose: (connection: HttpConnection) => void,
  ) {
    const onread = {
      buffer: () => this.target,
      callback: (length: number, buffer: Uint8Array) => {
        this.received(length, buffer)
        return true
      },
    }
    // tls.connect takes onread as net.connect does (Node's types leave it out).
    this.socket = target.secure
      ? tlsConnect({ host: target.host, port: target.port, servername: target.host, onread } as ConnectionOptions)
      : netConnect({ host: target.host, port: target.port, onread })
    this.socket.setNoDelay(true)
    this.socket.setTimeout(target.idleTimeoutMs)
    this.socket.on('timeout', () => this.fail(new ExchangeError('the connection went silent', 'ETIMEDOUT')))
    this.socket.on('error', (error: NodeJS.ErrnoException) => this.fail(new ExchangeError(error.message, error.code ?? 'ECONNRESET')))
    this.socket.on('end', () => this.ended())
    this.socket.on('close', () => this.fail(new ExchangeError('the connection closed', 'ECONNRESET')))
  }

  get usable(): boolean {
    return !this.closed && this.pending === undefined
  }

  /** Sends the request and resolves with the whole answer. */
  exchange(exchange: HttpExchange): Promise<HttpAnswer> {
    if (!this.usable) return Promise.reject(Object.assign(new ExchangeError('the connection is closed', 'ECONNRESET'), { beforeAnswer: true }))
    return new Promise<HttpAnswer>((resolve, reject) => {
      const onAbort = () => this.fail(abortError())
      this.pending = {
        exchange,
        resolve,
        reject,
        onAbort,
        headSoFar: undefined,
        status: 0,
        headers: undefined,
        framing: undefined,
        body: undefined,
        filled: 0,
        answered: false,
        requestSent: false,
        keepAlive: true,
      }
      if (exchange.signal.aborted) return onAbort()
      exchange.signal.addEventListener('abort', onAbort, { once: true })
      this.socket.ref()
      this.write(exchange)
    })
  }

  /** Drops the connection (an exchange under way fails). */
  destroy(): void {
    this.socket.destroy()
  }

  private write(exchange: HttpExchange): void {
    const pending = this.pending!
    const { body } = exchange
    if (body === undefined || body.length === 0) {
      // One write of one string: the socket's fast path (cork and uncork go through its queue).
      this.socket.write(exchange.head, 'latin1')
      pending.requestSent = true
      return
    }
    if (Buffer.isBuffer(body)) {
      this.socket.cork()
      this.socket.write(exchange.head, 'latin1')
      this.socket.write(body)
      this.socket.uncork()
      pending.requestSent = true
      return
    }
    this.socket.write(exchange.head, 'latin1')
    this.sendFile(pending, body).then(
      () => (pending.requestSent = true),
      (error: Error) => this.pending === pending && this.fail(new ExchangeError(`the request body failed: ${error.message}`, 'EIO')),
    )
  }

  /**
   * Sends a range of a file a piece at a time, from two buffers: the next piece is read while
   * the socket takes the one before, so that the socket never waits for the disk.
   */
  private async sendFile(pending: Pending, range: FileRange): Promise<void> {
    const file = await open(range.path, 'r')
    const pieces = (this.filePieces ??= [Buffer.allocUnsafe(FILE_PIECE_BYTES), Buffer.allocUnsafe(FILE_PIECE_BYTES)])
    const readPiece = (piece: Buffer, at: number) => {
      const read = file.read(piece, 0, Math.min(piece.length, range.length - at), range.start + at).then(({ bytesRead }) => {
        if (bytesRead === 0) throw new Error(`${range.path} ends before byte ${range.start + range.length}`)
        return bytesRead
      })
      // Awaited once the piece before is in the socket: a failure meanwhile is handled, not "unhandled".
      read.catch(() => undefined)
      return read
    }
    let next: Promise<number> | undefined = readPiece(pieces[0]!, 0)
    try {
      for (let sent = 0, turn = 0; next !== undefined; turn ^= 1) {
        const bytesRead: number = await next
        const piece = pieces[turn]!
        next = sent + bytesRead < range.length ? readPiece(pieces[turn ^ 1]!, sent + bytesRead) : undefined
        // Failed or aborted meanwhile: the socket is gone.
        if (this.pending !== pending) return
        await new Promise<void>((resolve, reject) => this.socket.write(piece.subarray(0, bytesRead), (error) => (error ? reject(error) : resolve())))
        sent += bytesRead
      }
    } finally {
      // A read still under way must end before the file closes (its failure no longer matters).
      await next?.catch(() => undefined)
      await file.close()
    }
  }

  /** Bytes came into `buffer` (this.target when they were read). */
  private received(length: number, buffer: Uint8Array): void {
    const pending = this.pending
    if (pending === undefined) {
      // Nothing asked: a server that talks out of turn cannot be trusted with the next exchange.
      this.socket.destroy()
      return
    }
    pending.answered = true
    if (buffer !== this.scratch) {
      pending.filled += length
      this.aimAtBody(pending)
      this.settleIfDone()
      return
    }
    this.consume(pending, this.scratch, 0, length)
  }

  private consume(pending: Pending, data: Buffer, from: number, to: number): void {
    let at = from
    while (at < to && this.pending === pending) {
      if (pending.framing === undefined) {
        at = this.readHead(pending, data, at, to)
        continue
      }
      at = this.readBody(pending, pending.framing, data, at, to)
    }
    if (this.pending === pending) this.aimAtBody(pending)
    this.settleIfDone()
  }

  /** Takes bytes of the head; returns where the body starts (or `to`). */
  private readHead(pending: Pending, data: Buffer, from: number, to: number): number {
    // The head's end may straddle reads: search from a little before the new bytes.
    const seen = pending.headSoFar?.length ?? 0
    const joined = pending.headSoFar === undefined ? data.subarray(from, to) : Buffer.concat([pending.headSoFar, data.subarray(from, to)])
    const end = joined.indexOf(CRLF2, Math.max(0, seen - 3))
    if (end < 0) {
      if (joined.length > MAX_HEAD_BYTES) this.fail(new ExchangeError('an answer head longer than 64 KiB', 'EPROTO'))
      else {
        pending.headSoFar = Buffer.from(joined)
      }
      return to
    }
    const used = end + 4 - seen
    pending.headSoFar = undefined
    const head = parseHead(joined.toString('latin1', 0, end))
    if (head === undefined) {
      this.fail(new ExchangeError('an answer that is not HTTP/1.x', 'EPROTO'))
      return to
    }
    if (head.status < 200) return from + used // 100 Continue and such: the real answer follows
    pending.status = head.status
    pending.headers = head.headers
    pending.keepAlive = head.keepAlive
    pending.framing = this.framingOf(pending, head.headers)
    return from + used
  }

  private framingOf(pending: Pending, headers: Record<string, string>): BodyFraming | undefined {
    const { exchange, status } = pending
    if (exchange.bodiless || status === 204 || status === 304) return { kind: 'length', length: 0 }
    if (headers['transfer-encoding'] !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(headers['transfer-encoding'])) {
        this.fail(new ExchangeError(`an answer in transfer encoding ${headers['transfer-encoding']}`, 'EPROTO'))
        return undefined
      }
      return { kind: 'chunked', decoder: new ChunkedBody(exchange.limit) }
    }
    const declared = headers['content-length']
    if (declared === undefined) {
      pending.keepAlive = false
      return { kind: 'close', parts: [], length: 0 }
    }
    const length = Number(declared)
    if (!Number.isSafeInteger(length) || length < 0 || !/^\d+$/.test(declared)) {
      this.fail(new ExchangeError(`an answer with Content-Length ${declared}`, 'EPROTO'))
      return undefined
    }
    try {
      const chosen = status < 300 ? exchange.destination?.(headers, length) : undefined
      if (chosen !== undefined && chosen.length < length) throw new Error(`a body of ${length} bytes for a buffer of ${chosen.length}`)
      if (chosen === undefined && length > exchange.limit) throw new Error(`an answer longer than ${exchange.limit} bytes`)
      pending.body = chosen === undefined ? Buffer.allocUnsafe(length) : chosen.subarray(0, length)
    } catch (error) {
      this.fail(error as Error)
      return undefined
    }
    return { kind: 'length', length }
  }

  /** Takes bytes of the body; returns how far it read. */
  private readBody(pending: Pending, framing: BodyFraming, data: Buffer, from: number, to: number): number {
    if (framing.kind === 'length') {
      const take = Math.min(to - from, framing.length - pending.filled)
      if (take <= 0) {
        this.fail(new ExchangeError('the server sent more than the answer', 'EPROTO'))
        return to
      }
      data.copy(pending.body!, pending.filled, from, from + take)
      pending.filled += take
      return from + take
    }
    if (framing.kind === 'close') {
      framing.length += to - from
      if (framing.length > pending.exchange.limit) this.fail(new Error(`an answer longer than ${pending.exchange.limit} bytes`))
      else framing.parts.push(Buffer.from(data.subarray(from, to)))
      return to
    }
    try {
      if (framing.decoder.take(data, from, to) < to) this.fail(new ExchangeError('the server sent more than the answer', 'EPROTO'))
    } catch (error) {
      this.fail(new ExchangeError((error as Error).message, 'EPROTO'))
    }
    return to
  }

  /** The socket reads straight into the body from now on, while it is of known length and incomplete. */
  private aimAtBody(pending: Pending): void {
    const { framing, body } = pending
    this.target = framing?.kind === 'length' && body !== undefined && pending.filled < framing.length ? body.subarray(pending.filled, framing.length) : this.scratch
  }

  private ended(): void {
    const pending = this.pending
    if (pending?.framing?.kind === 'close') {
      pending.body = Buffer.concat(pending.framing.parts, pending.framing.length)
      pending.filled = pending.body.length
      pending.framing = { kind: 'length', length: pending.body.length }
      this.settleIfDone()
    }
    this.socket.destroy()
  }

  private settleIfDone(): void {
    const pending = this.pending
    if (pending === undefined || pending.headers === undefined) return
    const { framing } = pending
    let body: Buffer
    if (framing?.kind === 'length' && pending.filled === framing.length) body = pending.body ?? Buffer.alloc(0)
    else if (framing?.kind === 'chunked' && framing.decoder.done) body = framing.decoder.body()
    else return
    this.pending = undefined
    this.target = this.scratch
    pending.exchange.signal.removeEventListener('abort', pending.onAbort)
    this.exchanges++
    // An answer that came before the whole request went (an early error) leaves the rest of the
    // body on the wire: the connection cannot carry another request.
    if (pending.keepAlive && pending.requestSent) this.socket.unref()
    else this.close()
    pending.resolve({ status: pending.status, headers: pending.headers!, body })
  }

  private fail(error: Error): void {
    const pending = this.pending
    this.close()
    if (pending === undefined) return
    this.pending = undefined
    pending.exchange.signal.removeEventListener('abort', pending.onAbort)
    if (error instanceof ExchangeError) error.beforeAnswer = !pending.answered
    pending.reject(error)
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    this.socket.destroy()
    this.onClose(this)
  }
}

/** The status line and headers; undefined if it is not HTTP/1.x. */
function parseHead(text: string): { status: number; headers: Record<string, string>; keepAlive: boolean } | undefined {
  const lines = text.split('\r\n')
  const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '')
  if (statusLine === null) return undefined
  const headers: Record<string, string> = {}
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  const connection = headers.connection?.toLowerCase()
  const keepAlive = statusLine[1] === '1' ? connection !== 'close' : connection === 'keep-alive'
  return { status: Number(statusLine[2]), headers, keepAlive }
}
