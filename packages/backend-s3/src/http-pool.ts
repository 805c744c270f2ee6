import { abortError } from './abortable.js'
import { ExchangeError, HttpConnection, type ConnectionTarget, type HttpAnswer, type HttpExchange } from './http-connection.js'

/**
 * Keep-alive connections to one server, at most `maxConnections` at once; an exchange waits for a
 * free one. A reused connection that fails before any byte of the answer came (the server closed
 * it while it sat idle) is not the server's answer: the exchange goes again, once, on a new
 * connection (bodies are buffers or file ranges: they can be sent again).
 */
export class HttpPool {
  private readonly idle: HttpConnection[] = []
  private readonly open = new Set<HttpConnection>()
  private readonly waiting: Array<() => void> = []
  private destroyed = false

  constructor(
    private readonly target: ConnectionTarget,
    private readonly maxConnections: number,
  ) {}

  async exchange(exchange: HttpExchange): Promise<HttpAnswer> {
    const connection = await this.take(exchange.signal)
    try {
      return await connection.exchange(exchange)
    } catch (error) {
      if (!(error instanceof ExchangeError && error.beforeAnswer && connection.exchanges > 0) || exchange.signal.aborted) throw error
      const fresh = await this.take(exchange.signal, true)
      try {
        return await fresh.exchange(exchange)
      } finally {
        this.give(fresh)
      }
    } finally {
      this.give(connection)
    }
  }

  /** Closes every connection; exchanges under way fail. */
  destroy(): void {
    this.destroyed = true
    this.idle.length = 0
    for (const connection of this.open) connection.destroy()
  }

  private async take(signal: AbortSignal, fresh = false): Promise<HttpConnection> {
    for (;;) {
      if (this.destroyed) throw Object.assign(new ExchangeError('the connection pool is closed', 'ECONNRESET'), { beforeAnswer: true })
      if (!fresh) {
        const connection = this.idle.pop()
        if (connection !== undefined) {
          if (connection.usable) return connection
          continue
        }
      }
      if (this.open.size < this.maxConnections) {
        const connection = new HttpConnection(this.target, () => this.closed(connection))
        this.open.add(connection)
        return connection
      }
      await this.slot(signal)
    }
  }

  private give(connection: HttpConnection): void {
    if (connection.usable && !this.destroyed) this.idle.push(connection)
    this.waiting.shift()?.()
  }

  private closed(connection: HttpConnection): void {
    this.open.delete(connection)
    this.waiting.shift()?.()
  }

  /** Waits until a connection is given back or closed. */
  private slot(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const at = this.waiting.indexOf(wake)
        if (at >= 0) this.waiting.splice(at, 1)
        reject(abortError())
      }
      const wake = () => {
        signal.removeEventListener('abort', onAbort)
        resolve()
      }
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(wake)
    })
  }
}
