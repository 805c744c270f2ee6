import { createReadStream, type ReadStream } from 'node:fs'

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
