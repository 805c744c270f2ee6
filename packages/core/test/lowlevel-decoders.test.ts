import { describe, expect, it } from 'vitest'
import { FsError } from '../src/errno.js'
import {
  decodeBatchForget,
  decodeCopyFileRange,
  decodeCreate,
  decodeFallocate,
  decodeGetattr,
  decodeGetxattr,
  decodeHeader,
  decodeInit,
  decodeLink,
  decodeLseek,
  decodeMkdir,
  decodeMknod,
  decodeName,
  decodeOpen,
  decodeRead,
  decodeRelease,
  decodeRename,
  decodeRename2,
  decodeSetattr,
  decodeSetxattr,
  decodeSymlink,
  decodeWrite,
} from '../src/lowlevel/decoders.js'
import { MalformedRequest } from '../src/lowlevel/request-reader.js'

/** Bytes laid out as the kernel does: numbers are u32, bigints u64, strings NUL-terminated, Buffers as they are. */
function bytes(...parts: Array<number | bigint | string | Buffer>): Buffer {
  return Buffer.concat(
    parts.map((part) => {
      if (Buffer.isBuffer(part)) return part
      if (typeof part === 'string') return Buffer.from(part + '\0')
      const b = Buffer.alloc(typeof part === 'bigint' ? 8 : 4)
      if (typeof part === 'bigint') b.writeBigUInt64LE(part)
      else b.writeUInt32LE(part)
      return b
    }),
  )
}

/** Each decoder with a well-formed body (byte for byte as linux/fuse.h lays it out) and what it must give. */
const fixtures: Array<{ name: string; decode: (body: Buffer) => unknown; body: Buffer; expected: unknown }> = [
  { name: 'LOOKUP name', decode: (b) => decodeName(b, 'lookup'), body: bytes('file.txt'), expected: 'file.txt' },
  { name: 'fuse_getattr_in without a handle', decode: decodeGetattr, body: bytes(0, 0, 7n), expected: { fh: undefined } },
  { name: 'fuse_getattr_in with FUSE_GETATTR_FH', decode: decodeGetattr, body: bytes(1, 0, 7n), expected: { fh: 7 } },
  {
    name: 'fuse_setattr_in',
    decode: decodeSetattr,
    body: bytes(0x3f, 0, 9n, 4096n, 0n, 10n, 20n, 30n, 11, 21, 31, 0o4755, 0, 1000, 100, 0),
    expected: {
      valid: 0x3f,
      fh: 9,
      size: 4096,
      atime: { sec: 10, nsec: 11 },
      mtime: { sec: 20, nsec: 21 },
      ctime: { sec: 30, nsec: 31 },
      mode: 0o4755,
      uid: 1000,
      gid: 100,
    },
  },
  { name: 'SYMLINK name and target', decode: decodeSymlink, body: bytes('link', '../target dir/x'), expected: { name: 'link', target: '../target dir/x' } },
  { name: 'fuse_mknod_in', decode: decodeMknod, body: bytes(0o10644, 0x0801, 0o022, 0, 'fifo'), expected: { mode: 0o10644, rdev: 0x0801, umask: 0o022, name: 'fifo' } },
  { name: 'fuse_mkdir_in', decode: decodeMkdir, body: bytes(0o755, 0o027, 'dir'), expected: { mode: 0o755, umask: 0o027, name: 'dir' } },
  { name: 'fuse_rename_in', decode: decodeRename, body: bytes(5n, 'a', 'b'), expected: { newParent: 5, flags: 0, name: 'a', newName: 'b' } },
  { name: 'fuse_rename2_in', decode: decodeRename2, body: bytes(5n, 2, 0, 'a', 'b'), expected: { newParent: 5, flags: 2, name: 'a', newName: 'b' } },
  { name: 'fuse_link_in', decode: decodeLink, body: bytes(12n, 'second name'), expected: { ino: 12, newName: 'second name' } },
  { name: 'fuse_open_in', decode: decodeOpen, body: bytes(0o100002, 0), expected: { flags: 0o100002 } },
  { name: 'fuse_create_in', decode: decodeCreate, body: bytes(0o100101, 0o100644, 0o002, 0, 'new'), expected: { flags: 0o100101, mode: 0o100644, umask: 0o002, name: 'new' } },
  { name: 'fuse_read_in', decode: decodeRead, body: bytes(3n, 2n ** 40n, 131072, 0, 0n, 0, 0), expected: { fh: 3, offset: 2 ** 40, size: 131072 } },
  {
    name: 'fuse_write_in with its data',
    decode: (b) => {
      const { data, ...rest } = decodeWrite(b)
      return { ...rest, data: data.toString() }
    },
    body: bytes(3n, 100n, 5, 0, 0n, 0, 0, Buffer.from('hello')),
    expected: { fh: 3, offset: 100, data: 'hello' },
  },
  { name: 'fuse_release_in', decode: decodeRelease, body: bytes(3n, 0, 0, 0n), expected: { fh: 3 } },
  {
    name: 'fuse_setxattr_in',
    decode: (b) => {
      const { value, ...rest } = decodeSetxattr(b)
      return { ...rest, value: value.toString() }
    },
    body: bytes(3, 1, 'user.x', Buffer.from('v\0w')),
    expected: { name: 'user.x', value: 'v\0w', flags: 1 },
  },
  { name: 'fuse_getxattr_in', decode: decodeGetxattr, body: bytes(64, 0, 'user.y'), expected: { size: 64, name: 'user.y' } },
  { name: 'fuse_fallocate_in', decode: decodeFallocate, body: bytes(4n, 4096n, 8192n, 0x03, 0), expected: { fh: 4, offset: 4096, length: 8192, mode: 0x03 } },
  { name: 'fuse_lseek_in', decode: decodeLseek, body: bytes(4n, 10n, 3, 0), expected: { fh: 4, offset: 10, whence: 3 } },
  {
    name: 'fuse_copy_file_range_in',
    decode: decodeCopyFileRange,
    body: bytes(1n, 2n, 3n, 4n, 5n, 6n, 0n),
    expected: { fhIn: 1, offsetIn: 2, inoOut: 3, fhOut: 4, offsetOut: 5, length: 6, flags: 0 },
  },
  { name: 'BATCH_FORGET', decode: decodeBatchForget, body: bytes(2, 0, 5n, 1n, 6n, 3n), expected: [[5, 1], [6, 3]] },
  { name: 'fuse_init_in of protocol 7.31', decode: decodeInit, body: bytes(7, 31, 131072, 0x1234), expected: { major: 7, minor: 31, maxReadahead: 131072, flags: 0x1234, flags2: 0 } },
  {
    name: 'fuse_init_in with flags2 (FUSE_INIT_EXT)',
    decode: decodeInit,
    body: bytes(7, 40, 131072, 1 << 30, 1 << 5, ...Array<number>(11).fill(0)),
    expected: { major: 7, minor: 40, maxReadahead: 131072, flags: 1 << 30, flags2: 1 << 5 },
  },
]

describe('request decoders', () => {
  for (const { name, decode, body, expected } of fixtures) {
    it(`decode ${name}`, () => {
      expect(decode(body)).toEqual(expected)
    })

    it(`refuse ${name} cut short at any byte, never yielding a wrong field`, () => {
      for (let length = 0; length < body.length; length++) {
        expect(() => decode(body.subarray(0, length)), `${length} of ${body.length} bytes`).toThrow(MalformedRequest)
      }
    })
  }

  it('refuse a WRITE that announces more data than it carries', () => {
    expect(() => decodeWrite(bytes(3n, 0n, 6, 0, 0n, 0, 0, Buffer.from('hello')))).toThrow(/too short/)
  })

  it('refuse a BATCH_FORGET that announces more entries than it carries', () => {
    expect(() => decodeBatchForget(bytes(3, 0, 5n, 1n, 6n, 3n))).toThrow(/3 entries announced, room for 2/)
  })

  it('refuse a SETXATTR whose value is shorter than its size', () => {
    expect(() => decodeSetxattr(bytes(9, 0, 'user.x', Buffer.from('short')))).toThrow(MalformedRequest)
  })

  it('refuse a name that is not valid UTF-8 with EILSEQ, rather than changing it into another name', () => {
    const latin1 = Buffer.concat([Buffer.from([0x63, 0x61, 0x66, 0xe9]), Buffer.alloc(1)]) // "café" in Latin-1
    expect(() => decodeName(latin1, 'lookup')).toThrow(FsError)
    expect(() => decodeName(latin1, 'lookup')).toThrow(/EILSEQ/)
  })

  it('decode ASCII and UTF-8 names exactly, up to their NUL', () => {
    const utf8 = 'café-日本-🙂'
    expect(decodeName(Buffer.concat([Buffer.from(utf8), Buffer.from([0, 0x41])]), 'lookup')).toBe(utf8)
    expect(decodeName(Buffer.from('a.txt\0ignored'), 'lookup')).toBe('a.txt')
    expect(decodeName(Buffer.from('\0'), 'lookup')).toBe('')
  })

  it('take longer bodies than they need (the kernel may append fields of a newer protocol)', () => {
    expect(decodeOpen(bytes(2, 0, 99, 99))).toEqual({ flags: 2 })
  })

  describe('fuse_in_header', () => {
    const header = bytes(44, 1, 77n, 9n, 1000, 100, 4242, 0, 'abc')

    it('decode every field', () => {
      expect(decodeHeader(header)).toEqual({ length: 44, opcode: 1, unique: 77, nodeid: 9, uid: 1000, gid: 100, pid: 4242 })
    })

    it('refuse a request shorter than the header', () => {
      expect(() => decodeHeader(header.subarray(0, 39))).toThrow(/shorter than its header/)
    })

    it('refuse a request whose length disagrees with its header, truncated or oversized', () => {
      expect(() => decodeHeader(header.subarray(0, 42))).toThrow(/42 bytes whose header says 44/)
      expect(() => decodeHeader(Buffer.concat([header, Buffer.alloc(8)]))).toThrow(/52 bytes whose header says 44/)
    })

    it('decode a request in the first bytes of a larger, reused buffer, given its length', () => {
      const reused = Buffer.concat([header, Buffer.alloc(100, 0xff)])
      expect(decodeHeader(reused, 44)).toEqual({ length: 44, opcode: 1, unique: 77, nodeid: 9, uid: 1000, gid: 100, pid: 4242 })
      expect(() => decodeHeader(reused, 48)).toThrow(/48 bytes whose header says 44/)
      expect(() => decodeHeader(reused, 39)).toThrow(/shorter than its header/)
    })
  })
})
