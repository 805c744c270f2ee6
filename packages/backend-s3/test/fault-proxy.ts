import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
import { createServer as createTcpServer, type Socket } from 'node:net'

/** What the proxy saw of one request (the Authorization header is left out). */
export interface SeenRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  /** The status the client got: the server's, or the injected fault's. */
  status?: number
  injected: boolean
  /** When it came in, and when its answer began to go back (performance.now()). */
  arrived: number
  answered?: number
}

export interface Faults {
  /** Fraction of requests answered with an error instead of being forwarded (0..1). */
  failRate: number
  /** The injected error: status and S3 code (503 SlowDown by default). */
  status: number
  code: string
  /** Forward nothing: close every new request's connection at once (a server gone mid-way). */
  reset: boolean
  /** Milliseconds to hold a request before forwarding it (a slow server for some requests). */
  delay: (method: string, url: string) => number
}

/**
 * An HTTP proxy in front of an S3 endpoint that injects failures: a share of requests answered
 * with 503 SlowDown (or another status), every connection reset, or some requests held a while. The Host header is passed
 * on unchanged, so signatures stay valid. Seeded: the same requests fail in every run.
 */
export class FaultProxy {
  readonly requests: SeenRequest[] = []
  readonly faults: Faults = { failRate: 0, status: 503, code: 'SlowDown', reset: false, delay: () => 0 }
  private random: () => number
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
    seed: number,
  ) {
    this.random = seeded(seed)
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  static async start(target: string, seed = 1): Promise<FaultProxy> {
    const server = createServer()
    const proxy = new FaultProxy(server, new URL(target), seed)
    server.on('request', (req, res) => proxy.handle(req, res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get endpoint(): string {
    const address = this.server.address()
    if (address === null || typeof address === 'string') throw new Error('proxy not listening')
    return `http://127.0.0.1:${address.port}`
  }

  /** Requests that reached the server, injected ones left out. */
  get forwarded(): SeenRequest[] {
    return this.requests.filter((r) => !r.injected)
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): void {
    const { authorization: _left, ...headers } = req.headers
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers, injected: false, arrived: performance.now() }
    this.requests.push(seen)
    if (this.faults.reset) {
      seen.injected = true
      req.socket.destroy()
      return
    }
    if (this.random() < this.faults.failRate) {
      seen.injected = true
      seen.status = this.faults.status
      // Take the whole body first: a client still sending would see a reset instead of the answer.
      req.resume()
      req.on('end', () => {
        const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${this.faults.code}</Code><Message>injected</Message></Error>`
        res.writeHead(this.faults.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      })
      return
    }
    const forward = () => {
      const upstream = request(
        { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          seen.status = answer.statusCode
          seen.answered = performance.now()
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.on('error', () => req.socket.destroy())
      req.pipe(upstream)
    }
    const wait = this.faults.delay(seen.method, seen.url)
    if (wait > 0) setTimeout(forward, wait)
    else forward()
  }
}

/** A TCP server that accepts connections and never answers: a hung S3. */
export async function startSilentServer(): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createTcpServer((socket) => {
    accepted++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A port nothing listens on (taken from the OS, then released): connections are refused. */
export async function closedPortEndpoint(): Promise<string> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

// mulberry32: small, seeded, good enough to pick which requests fail.
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
