import { createReadStream, type ReadStream } from 'node:fs'
import type { Readable } from 'node:stream'

/** Bytes of a local file, streamed rather than held in memory. */
export interface FileRange {
  path: string
  start: number
  length: number
}

/** What an upload sends: bytes in memory, or a range of a local file. */
export type UploadBody = Buffer | FileRange

export function bodyLength(body: UploadBody): number {
  return Buffer.isBuffer(body) ? body.length : body.length
}

/** A fresh body for one attempt: a stream is used up by the attempt that sent it. */
export function openBody(body: UploadBody): Buffer | ReadStream {
  if (Buffer.isBuffer(body) || body.length === 0) return Buffer.isBuffer(body) ? body : Buffer.alloc(0)
  const stream = createReadStream(body.path, { start: body.start, end: body.start + body.length - 1, highWaterMark: 1 << 20 })
  // A file that cannot be opened (gone from the staging directory) fails the request, at its
  // deadline at the latest, never the process: the error may come before the SDK listens.
  stream.on('error', () => undefined)
  return stream
}

/** Closes what openBody opened when the attempt ended early (error, abort). */
export function closeBody(opened: Buffer | ReadStream): void {
  if (!Buffer.isBuffer(opened)) opened.destroy()
}

/**
 * Reads a response body of known length into one buffer: no list of chunks to concatenate
 * afterwards. Aborting `signal` destroys the stream (the SDK stops watching it once the headers
 * are in), so a stalled body cannot outlive the call's deadline. With `into`, the body goes there
 * (it must be long enough) and the result is a view of it.
 */
export async function readBody(body: Readable, length: number, signal: AbortSignal, into?: Buffer): Promise<Buffer> {
  if (into !== undefined && into.length < length) {
    body.destroy()
    throw new Error(`a response body of ${length} bytes for a range of ${into.length}`)
  }
  const out = into === undefined ? Buffer.allocUnsafe(length) : into.subarray(0, length)
  let filled = 0
  const onAbort = () => body.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
  if (signal.aborted) onAbort()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (filled + chunk.length > length) throw new Error(`response body longer than its Content-Length ${length}`)
      chunk.copy(out, filled)
      filled += chunk.length
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
  if (filled !== length) {
    throw Object.assign(new Error(`response body cut short: ${filled} of ${length} bytes`), { code: 'ECONNRESET' })
  }
  return out
}
