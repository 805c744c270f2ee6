import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ChunkedBody } from '../src/chunked-body.js'
import type { HttpExchange } from '../src/http-connection.js'
import { HttpPool } from '../src/http-pool.js'

/** What the scripted server does with each request head it reads: the bytes to answer, in pieces. */
type Script = (request: string, socket: Socket, index: number) => void

interface Scripted {
  pool: HttpPool
  requests: string[]
  connections: number
}

const servers: Server[] = []
const pools: HttpPool[] = []

afterEach(() => {
  for (const pool of pools.splice(0)) pool.destroy()
  for (const server of servers.splice(0)) server.close()
})

/** A server that reads request heads (and Content-Length bodies) and answers each with `script`; a pool to it. */
async function scripted(script: Script, options: { maxConnections?: number; idleTimeoutMs?: number } = {}): Promise<Scripted> {
  const state: Scripted = { pool: undefined as unknown as HttpPool, requests: [], connections: 0 }
  const server = createServer((socket) => {
    state.connections++
    let pending = Buffer.alloc(0)
    socket.on('data', (data) => {
      pending = Buffer.concat([pending, data])
      for (;;) {
        const end = pending.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = pending.toString('latin1', 0, end)
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0)
        if (pending.length < end + 4 + length) return
        const request = `${head}\r\n\r\n${pending.toString('latin1', end + 4, end + 4 + length)}`
        pending = pending.subarray(end + 4 + length)
        state.requests.push(request)
        script(request, socket, state.requests.length - 1)
      }
    })
    socket.on('error', () => undefined)
  })
  servers.push(server)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  state.pool = new HttpPool({ host: '127.0.0.1', port, secure: false, idleTimeoutMs: options.idleTimeoutMs ?? 5_000 }, options.maxConnections ?? 4)
  pools.push(state.pool)
  return state
}

function exchange(overrides: Partial<HttpExchange> = {}): HttpExchange {
  return { head: 'GET /k HTTP/1.1\r\nhost: x\r\n\r\n', body: undefined, bodiless: false, limit: 1 << 20, signal: new AbortController().signal, ...overrides }
}

/** Writes `bytes` one byte at a time, each in its own TCP segment as far as the kernel lets it. */
async function trickle(socket: Socket, bytes: Buffer): Promise<void> {
  for (const byte of bytes) {
    socket.write(Buffer.of(byte))
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`

describe('HttpPool', () => {
  it('reads an answer of known length, its headers lower-cased and repeated ones joined', async () => {
    const { pool } = await scripted((_r, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: "e1"\r\nX-Amz-Meta-A: 1\r\nx-amz-meta-a: 2\r\n\r\nhello'))
    const answer = await pool.exchange(exchange())
    expect(answer.status).toBe(200)
    expect(answer.body.toString()).toBe('hello')
    expect(answer.headers).toMatchObject({ etag: '"e1"', 'x-amz-meta-a': '1, 2', 'content-length': '5' })
  })

  it('reads a head and body split into single bytes', async () => {
    const { pool } = await scripted((_r, socket) => void trickle(socket, Buffer.from(ok('split body', 'x-a: b\r\n'))))
    const answer = await pool.exchange(exchange())
    expect(answer.body.toString()).toBe('split body')
    expect(answer.headers['x-a']).toBe('b')
  })

  it('decodes a chunked body, with extensions and trailers, split anywhere', async () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n'
    const { pool } = await scripted((_r, socket, i) => (i === 0 ? socket.write(wire) : void trickle(socket, Buffer.from(wire))))
    expect((await pool.exchange(exchange())).body.toString()).toBe('hello, world')
    expect((await pool.exchange(exchange())).body.toString()).toBe('hello, world')
  })

  it('refuses bytes after the end of an answer, chunked or of known length', async () => {
    const answers = ['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\nEXTRA', `${ok('ab')}EXTRA`]
    const { pool } = await scripted((_r, socket, i) => socket.write(answers[i]!))
    await expect(pool.exchange(exchange())).rejects.toThrow('more than the answer')
    await expect(pool.exchange(exchange())).rejects.toThrow('more than the answer')
  })

  it('keeps the connection for the next exchange, and opens no more than asked at once', async () => {
    const state = await scripted((_r, socket) => setTimeout(() => socket.write(ok('x')), 5), { maxConnections: 2 })
    await Promise.all(Array.from({ length: 10 }, () => state.pool.exchange(exchange())))
    expect(state.requests).toHaveLength(10)
    expect(state.connections).toBe(2)
  })

  it('has a HEAD answer end at its head, whatever its Content-Length says', async () => {
    const { pool } = await scripted((_r, socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n'))
    const answer = await pool.exchange(exchange({ head: 'HEAD /k HTTP/1.1\r\n\r\n', bodiless: true }))
    expect(answer.headers['content-length']).toBe('1000')
    expect(answer.body.length).toBe(0)
    expect((await pool.exchange(exchange({ head: 'HEAD /k HTTP/1.1\r\n\r\n', bodiless: true }))).status).toBe(200)
  })

  it('skips a 100 Continue before the answer', async () => {
    const { pool } = await scripted((_r, socket) => socket.write(`HTTP/1.1 100 Continue\r\n\r\n${ok('after')}`))
    expect((await pool.exchange(exchange())).body.toString()).toBe('after')
  })

  it('reads a body without length or chunks to the end of the connection', async () => {
    const { pool } = await scripted((_r, socket) => socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close'))
    expect((await pool.exchange(exchange())).body.toString()).toBe('until close')
  })

  it('reads a large body straight into the destination the headers chose', async () => {
    const data = Buffer.alloc(3 << 20)
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i)
    const { pool } = await scripted((_r, socket) => {
      socket.write(`HTTP/1.1 206 Partial Content\r\ncontent-range: bytes 0-${data.length - 1}/*\r\ncontent-length: ${data.length}\r\n\r\n`)
      socket.write(data)
    })
    const into = Buffer.alloc(4 << 20)
    let seen: Record<string, string> = {}
    const answer = await pool.exchange(exchange({ destination: (headers) => ((seen = headers), into) }))
    expect(seen['content-range']).toBe(`bytes 0-${data.length - 1}/*`)
    expect(answer.body.buffer).toBe(into.buffer)
    expect(answer.body.length).toBe(data.length)
    expect(answer.body.equals(data)).toBe(true)
  })

  it('fails an exchange whose destination refuses the answer, and one longer than its limit', async () => {
    const { pool } = await scripted((_r, socket) => socket.write(ok('0123456789')))
    await expect(pool.exchange(exchange({ destination: () => Buffer.alloc(4) }))).rejects.toThrow('a body of 10 bytes for a buffer of 4')
    await expect(pool.exchange(exchange({ destination: () => { throw new Error('the server ignored the Range header') } }))).rejects.toThrow('ignored the Range')
    await expect(pool.exchange(exchange({ limit: 9 }))).rejects.toThrow('longer than 9 bytes')
  })

  it('sends a range of a file as the body, read piece by piece, in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-http-'))
    try {
      // Many pieces: the next one is read while the one before is being sent.
      const data = Buffer.alloc(3 * 1024 * 1024 + 5000)
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 18)) % 251
      await writeFile(join(dir, 'staged'), data)
      const state = await scripted((_r, socket) => socket.write(ok('')))
      const range = { path: join(dir, 'staged'), start: 1000, length: 3 * 1024 * 1024 + 17 }
      await state.pool.exchange(exchange({ head: `PUT /k HTTP/1.1\r\ncontent-length: ${range.length}\r\n\r\n`, body: range }))
      const sent = state.requests[0]!.slice(state.requests[0]!.indexOf('\r\n\r\n') + 4)
      expect(Buffer.from(sent, 'latin1').equals(data.subarray(1000, 1000 + range.length))).toBe(true)
      // A file that is gone fails the exchange, and the connection with it.
      await expect(state.pool.exchange(exchange({ head: 'PUT /k HTTP/1.1\r\ncontent-length: 5\r\n\r\n', body: { path: join(dir, 'gone'), start: 0, length: 5 } }))).rejects.toMatchObject({ code: 'EIO' })
      // So does one that ends before the range does.
      const short = { path: join(dir, 'staged'), start: data.length - 300 * 1024, length: 600 * 1024 }
      await expect(state.pool.exchange(exchange({ head: `PUT /k HTTP/1.1\r\ncontent-length: ${short.length}\r\n\r\n`, body: short }))).rejects.toMatchObject({ code: 'EIO' })
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  it('fails, without hanging, a file body shorter than its range sent to a server that takes nothing in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-http-'))
    // Takes nothing in: the socket fills while the reads go on to the file's end.
    const server = createServer((socket) => {
      socket.pause()
      setTimeout(() => socket.destroy(), 500)
    })
    servers.push(server)
    try {
      await writeFile(join(dir, 'short'), Buffer.alloc(8 * 1024 * 1024, 1))
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const pool = new HttpPool({ host: '127.0.0.1', port: (server.address() as { port: number }).port, secure: false, idleTimeoutMs: 5_000 }, 1)
      pools.push(pool)
      const range = { path: join(dir, 'short'), start: 0, length: 16 * 1024 * 1024 }
      await expect(pool.exchange(exchange({ head: `PUT /k HTTP/1.1\r\ncontent-length: ${range.length}\r\n\r\n`, body: range }))).rejects.toBeInstanceOf(Error)
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  it('sends a request again on a new connection when the server closed a reused one as it came', async () => {
    // The second request meets a connection the server drops without a word (its idle timeout
    // firing as the request arrives): not an answer, so the pool tries once more.
    const state = await scripted((_r, socket, i) => (i === 1 ? socket.destroy() : socket.write(ok(`answer ${i}`))))
    expect((await state.pool.exchange(exchange())).body.toString()).toBe('answer 0')
    expect((await state.pool.exchange(exchange())).body.toString()).toBe('answer 2')
    expect(state.connections).toBe(2)
  })

  it('does not send again when the connection was new or part of the answer had come', async () => {
    const state = await scripted((_r, socket, i) => (i === 0 ? socket.write(ok('first')) : socket.end('HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\npart')))
    await state.pool.exchange(exchange())
    await expect(state.pool.exchange(exchange())).rejects.toMatchObject({ code: 'ECONNRESET', beforeAnswer: false })
    await expect(state.pool.exchange(exchange())).rejects.toMatchObject({ code: 'ECONNRESET', beforeAnswer: false })
    expect(state.requests).toHaveLength(3)
  })

  it('fails with ECONNRESET when the connection closes mid-answer, and the pool goes on', async () => {
    const state = await scripted((_r, socket, i) => (i === 0 ? socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort') : socket.write(ok('fine'))))
    await expect(state.pool.exchange(exchange())).rejects.toMatchObject({ code: 'ECONNRESET', beforeAnswer: false })
    expect((await state.pool.exchange(exchange())).body.toString()).toBe('fine')
  })

  it('fails with ETIMEDOUT when the server goes silent', async () => {
    const { pool } = await scripted(() => undefined, { idleTimeoutMs: 100 })
    await expect(pool.exchange(exchange())).rejects.toMatchObject({ code: 'ETIMEDOUT' })
  })

  it('fails at once when its signal is aborted, waiting for a connection or for the answer', async () => {
    const { pool } = await scripted(() => undefined, { maxConnections: 1 })
    const first = new AbortController()
    const second = new AbortController()
    const answering = pool.exchange(exchange({ signal: first.signal }))
    const waiting = pool.exchange(exchange({ signal: second.signal }))
    second.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    first.abort()
    await expect(answering).rejects.toMatchObject({ name: 'AbortError' })
  })

  it('refuses what is not HTTP/1.x, a bad Content-Length and an unknown transfer encoding', async () => {
    const answers = ['SSH-2.0-OpenSSH\r\n\r\n', 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n']
    const { pool } = await scripted((_r, socket, i) => socket.write(answers[i]!))
    await expect(pool.exchange(exchange())).rejects.toMatchObject({ code: 'EPROTO' })
    await expect(pool.exchange(exchange())).rejects.toThrow('Content-Length -1')
    await expect(pool.exchange(exchange())).rejects.toThrow('transfer encoding gzip')
  })
})

describe('ChunkedBody', () => {
  it('stops at the end of the body and says where', () => {
    const decoder = new ChunkedBody(100)
    const wire = Buffer.from('3\r\nabc\r\n0\r\n\r\nNEXT')
    expect(decoder.take(wire, 0, wire.length)).toBe(wire.length - 4)
    expect(decoder.done).toBe(true)
    expect(decoder.body().toString()).toBe('abc')
  })

  it('refuses a bad size line, a missing CRLF and a body over its limit', () => {
    expect(() => new ChunkedBody(100).take(Buffer.from('zz\r\n'), 0, 4)).toThrow('bad chunk size')
    expect(() => new ChunkedBody(100).take(Buffer.from('1\r\naXY\r\n'), 0, 8)).toThrow('no CRLF after a chunk')
    expect(() => new ChunkedBody(10).take(Buffer.from('b\r\n'), 0, 3)).toThrow('longer than 10 bytes')
  })
})
