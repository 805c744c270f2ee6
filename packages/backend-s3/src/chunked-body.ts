/**
 * Decodes an HTTP/1.1 chunked body fed in pieces as they come off the socket (RFC 9112 §7.1):
 * size lines (extensions ignored), data, the CRLF after it, and the trailer section, whose
 * fields are dropped. The data is copied out: the pieces are a scratch buffer read into again.
 */
export class ChunkedBody {
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size'
  /** A line split over pieces. */
  private line = ''
  private left = 0
  private readonly parts: Buffer[] = []
  private length = 0

  constructor(private readonly limit: number) {}

  get done(): boolean {
    return this.state === 'done'
  }

  /** The data, once done. */
  body(): Buffer {
    return Buffer.concat(this.parts, this.length)
  }

  /** Takes bytes [from, to) of `data`; returns where it stopped (`to`, or the end of the body). Throws on a malformed body. */
  take(data: Buffer, from: number, to: number): number {
    let at = from
    while (at < to && this.state !== 'done') {
      if (this.state === 'data') {
        const n = Math.min(this.left, to - at)
        this.parts.push(Buffer.from(data.subarray(at, at + n)))
        this.left -= n
        at += n
        if (this.left === 0) this.state = 'data-end'
        continue
      }
      const newline = data.indexOf(10, at)
      if (newline < 0 || newline >= to) {
        this.line += data.toString('latin1', at, to)
        if (this.line.length > 4096) throw new Error('a chunk line longer than 4 KiB')
        return to
      }
      const line = (this.line + data.toString('latin1', at, newline)).replace(/\r$/, '')
      this.line = ''
      at = newline + 1
      this.endOfLine(line)
    }
    return at
  }

  private endOfLine(line: string): void {
    if (this.state === 'data-end') {
      if (line !== '') throw new Error('no CRLF after a chunk')
      this.state = 'size'
    } else if (this.state === 'trailer') {
      if (line === '') this.state = 'done'
    } else {
      const size = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line)
      if (size === null) throw new Error(`a bad chunk size line: ${JSON.stringify(line.slice(0, 40))}`)
      this.left = Number.parseInt(size[1]!, 16)
      this.length += this.left
      if (this.length > this.limit) throw new Error(`an answer longer than ${this.limit} bytes`)
      this.state = this.left === 0 ? 'trailer' : 'data'
    }
  }
}
