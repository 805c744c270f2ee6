import { isUtf8 } from 'node:buffer'
import { FsError } from '../errno.js'
import { readU32, readU64 } from './protocol.js'

/** A request shorter than its structure, or otherwise not what the protocol says: answered EIO. */
export class MalformedRequest extends Error {
  override readonly name = 'MalformedRequest'
}

/**
 * Reads a request body field by field, checking every read against the body's length, so that a
 * short request fails as a whole instead of yielding a wrong field.
 */
export class RequestReader {
  private at = 0

  constructor(
    private readonly body: Buffer,
    /** The structure being read, for the error message. */
    private readonly what: string,
  ) {}

  u32(): number {
    this.need(4)
    const value = readU32(this.body, this.at)
    this.at += 4
    return value
  }

  /** A u64 as a number: exact up to 2^53, beyond that the nearest double (never a safe integer). */
  u64(): number {
    this.need(8)
    const value = readU64(this.body, this.at)
    this.at += 8
    return value
  }

  skip(bytes: number): this {
    this.need(bytes)
    this.at += bytes
    return this
  }

  /**
   * A NUL-terminated name. Names are bytes to the kernel and strings here: one that is not valid
   * UTF-8 is refused with EILSEQ rather than silently changed into another name.
   */
  name(): string {
    const { body } = this
    const start = this.at
    // One pass finds the NUL and whether any byte is past ASCII: most names are ASCII, and
    // those need no UTF-8 check and decode as latin1 (one copy, no validation).
    let end = start
    let high = 0
    for (; end < body.length; end++) {
      const byte = body[end]!
      if (byte === 0) break
      high |= byte
    }
    if (end === body.length) throw new MalformedRequest(`${this.what}: a name without its terminating NUL`)
    this.at = end + 1
    if (high < 0x80) return body.toString('latin1', start, end)
    const bytes = body.subarray(start, end)
    if (!isUtf8(bytes)) throw new FsError('EILSEQ', `${this.what}: a name that is not valid UTF-8`)
    return bytes.toString('utf8')
  }

  /** The next `length` bytes, not copied. */
  bytes(length: number): Buffer {
    this.need(length)
    const slice = this.body.subarray(this.at, this.at + length)
    this.at += length
    return slice
  }

  get remaining(): number {
    return this.body.length - this.at
  }

  private need(bytes: number): void {
    if (this.at + bytes > this.body.length) {
      throw new MalformedRequest(`${this.what}: ${this.body.length} bytes, too short for the field at ${this.at} (${bytes} bytes)`)
    }
  }
}
