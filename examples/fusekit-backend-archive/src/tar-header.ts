import { FsError } from '@fusekit/core'

/** The tar block: headers, and data padded up to it. */
export const BLOCK = 512

/** One header block as it stands (ustar, with GNU's and pax's extensions handled by the reader). */
export interface TarHeader {
  name: string
  mode: number
  uid: number
  gid: number
  size: number
  /** Seconds since the epoch. */
  mtime: number
  /** '0' file, '1' hard link, '2' symlink, '5' directory, 'x'/'g' pax, 'L'/'K' GNU long names, ... */
  type: string
  linkname: string
  /** The ustar prefix of a name longer than 100 bytes ('' without one). */
  prefix: string
}

/** A NUL-terminated text field. */
function text(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length)
  const end = field.indexOf(0)
  return field.subarray(0, end < 0 ? length : end).toString('utf8')
}

/** An octal number field, or GNU's base-256 form for values that do not fit (first byte 0x80). */
function number(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length)
  if (field[0]! & 0x80) {
    let value = field[0]! & 0x7f
    for (const byte of field.subarray(1)) value = value * 256 + byte
    return value
  }
  const digits = field.toString('latin1').replace(/\0.*$/s, '').trim()
  if (digits === '') return 0
  if (!/^[0-7]+$/.test(digits)) throw new FsError('EINVAL', `bad ${what} field "${digits}" in a tar header`)
  return parseInt(digits, 8)
}

/** Whether a block is all zeros: two of them end an archive. */
export function isZeroBlock(block: Buffer): boolean {
  return block.every((byte) => byte === 0)
}

/**
 * Parses one header block at `offset` of the archive (for messages); a wrong checksum means this
 * is not a tar archive, or it is damaged.
 */
export function parseHeader(block: Buffer, offset: number): TarHeader {
  let sum = 8 * 0x20 // the checksum field counts as spaces
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i]!
  const stored = block.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim()
  if (!/^[0-7]+$/.test(stored) || parseInt(stored, 8) !== sum) {
    throw new FsError('EINVAL', `not a tar archive, or damaged: the header at byte ${offset} fails its checksum`)
  }
  const magic = block.subarray(257, 263).toString('latin1')
  return {
    name: text(block, 0, 100),
    mode: number(block, 100, 8, 'mode'),
    uid: number(block, 108, 8, 'uid'),
    gid: number(block, 116, 8, 'gid'),
    size: number(block, 124, 12, 'size'),
    mtime: number(block, 136, 12, 'mtime'),
    type: String.fromCharCode(block[156]!) === '\0' ? '0' : String.fromCharCode(block[156]!),
    linkname: text(block, 157, 100),
    // Only POSIX ustar has a prefix; GNU's old format keeps other fields there.
    prefix: magic === 'ustar\0' ? text(block, 345, 155) : '',
  }
}
