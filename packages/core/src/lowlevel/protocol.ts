import type { Stat, StatVfs, Timespec } from '../types.js'

/** The FUSE kernel protocol (linux/fuse.h), the parts the low-level driver speaks. */
export const FUSE_KERNEL_VERSION = 7
/** 7.31 has everything used here (max_pages, rename2) and no extension headers. */
export const FUSE_KERNEL_MINOR_VERSION = 31

export const Opcode = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
} as const

/** INIT flags. */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  BIG_WRITES: 1 << 5,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  /** The kernel caches writes and sends them later, keeping size and mtime meanwhile. */
  WRITEBACK_CACHE: 1 << 16,
  MAX_PAGES: 1 << 22,
  /** The kernel takes ENOSYS for OPENDIR as "no need", and sends no more OPENDIR or RELEASEDIR. */
  NO_OPENDIR_SUPPORT: 1 << 24,
  /**
   * The server clears set-id bits on write, truncate and chown itself; the kernel then marks
   * its superblock SB_NOSEC and stops asking for security.capability before every write.
   */
  HANDLE_KILLPRIV_V2: 1 << 28,
  /** flags2 follows in fuse_init_in and fuse_init_out. */
  INIT_EXT: 1 << 30,
} as const

/** INIT flags2 (bits 32 and up of the flags). */
export const InitFlag2 = {
  PASSTHROUGH: 1 << 5,
  /** Requests and replies over io_uring (Linux 6.14+): offered only while enable_uring is on. */
  OVER_IO_URING: 1 << 9,
} as const

/** Reads and writes bypass the page cache and reach the filesystem as they are. */
export const FOPEN_DIRECT_IO = 1 << 0
export const FOPEN_KEEP_CACHE = 1 << 1
/** close(2) sends no FLUSH for this handle (unless the writeback cache has pages to write back). */
export const FOPEN_NOFLUSH = 1 << 5
/** The kernel reads and writes the backing file given with the open reply itself. */
export const FOPEN_PASSTHROUGH = 1 << 7
/** readdir's ino when the backend gave no stat. */
export const FUSE_UNKNOWN_INO = 0xffff_ffff

export const OUT_HEADER_SIZE = 16
const ATTR_SIZE = 88
export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE
export const ATTR_OUT_SIZE = 16 + ATTR_SIZE
export const OPEN_OUT_SIZE = 16
export const INIT_OUT_SIZE = 64
export const STATFS_OUT_SIZE = 80
export const DIRENT_HEADER_SIZE = 24

const TWO_32 = 0x1_0000_0000

// Fields are read and written byte by byte: Buffer's readUInt32LE and writeUInt32LE check
// their arguments through calls that cost more than the access, and a request has dozens of
// fields. Lengths are checked before (decodeHeader, RequestReader; replies are sized here). A
// value out of its field's range throws, as Buffer's own methods do.

export function readU32(buf: Buffer, offset: number): number {
  return (buf[offset]! | (buf[offset + 1]! << 8) | (buf[offset + 2]! << 16)) + buf[offset + 3]! * 0x100_0000
}

export function writeU32(buf: Buffer, offset: number, value: number): void {
  if (value > 0xffff_ffff || value < 0) throw new RangeError(`${value} does not fit an unsigned 32-bit field`)
  storeU32(buf, offset, value)
}

export function writeI32(buf: Buffer, offset: number, value: number): void {
  if (value > 0x7fff_ffff || value < -0x8000_0000) throw new RangeError(`${value} does not fit a signed 32-bit field`)
  storeU32(buf, offset, value)
}

/** Byte stores truncate: `value >>> n` takes a negative value as its two's complement. */
function storeU32(buf: Buffer, offset: number, value: number): void {
  buf[offset] = value
  buf[offset + 1] = value >>> 8
  buf[offset + 2] = value >>> 16
  buf[offset + 3] = value >>> 24
}

export function readU64(buf: Buffer, offset: number): number {
  const high = readU32(buf, offset + 4)
  // Most values (node ids, handles, offsets) fit 32 bits: kept small integers, not a double. A
  // double stored first in a field makes V8 box that field in every object of its shape (the
  // request header's nodeid), and each box that reaches a Map is a heap object kept as its key.
  return high === 0 ? readU32(buf, offset) : readU32(buf, offset) + high * TWO_32
}

export function writeU64(buf: Buffer, offset: number, value: number): void {
  // Most values (node ids, offsets, sizes, handles) fit 32 bits: no division for them.
  if (value <= 0xffff_ffff && value >= 0) {
    storeU32(buf, offset, value)
    storeU32(buf, offset + 4, 0)
    return
  }
  const low = value % TWO_32
  writeU32(buf, offset, low)
  writeU32(buf, offset + 4, (value - low) / TWO_32)
}

/** A reply buffer: the out header followed by `bodySize` bytes; errno < 0 or 0. */
export function replyBuffer(unique: number, bodySize: number, error = 0): Buffer {
  const buf = Buffer.allocUnsafe(OUT_HEADER_SIZE + bodySize)
  writeU32(buf, 0, OUT_HEADER_SIZE + bodySize)
  writeI32(buf, 4, error)
  writeU64(buf, 8, unique)
  return buf
}

/** Fixes the length of a reply whose body came out shorter than allocated. */
export function truncateReply(buf: Buffer, bodySize: number): Buffer {
  writeU32(buf, 0, OUT_HEADER_SIZE + bodySize)
  return buf.subarray(0, OUT_HEADER_SIZE + bodySize)
}

/** Whole seconds and nanoseconds of a timeout given in seconds. */
export function splitSeconds(seconds: number): [number, number] {
  const whole = Math.floor(seconds)
  return [whole, Math.round((seconds - whole) * 1e9)]
}

function writeTime(buf: Buffer, secOffset: number, nsecOffset: number, t: Timespec): void {
  // Times before 1970 are negative seconds: two's complement in the u64 field.
  if (t.sec < 0) buf.writeBigInt64LE(BigInt(t.sec), secOffset)
  else writeU64(buf, secOffset, t.sec)
  writeU32(buf, nsecOffset, t.nsec)
}

export function encodeAttr(buf: Buffer, offset: number, st: Stat): void {
  writeU64(buf, offset, st.ino)
  writeU64(buf, offset + 8, st.size)
  writeU64(buf, offset + 16, st.blocks)
  writeTime(buf, offset + 24, offset + 48, st.atime)
  writeTime(buf, offset + 32, offset + 52, st.mtime)
  writeTime(buf, offset + 40, offset + 56, st.ctime)
  writeU32(buf, offset + 60, st.mode)
  writeU32(buf, offset + 64, st.nlink)
  writeU32(buf, offset + 68, st.uid)
  writeU32(buf, offset + 72, st.gid)
  writeU32(buf, offset + 76, st.rdev)
  writeU32(buf, offset + 80, st.blksize)
  writeU32(buf, offset + 84, 0)
}

/** The Stat a fuse_attr holds (encodeAttr's inverse). */
export function decodeAttr(buf: Buffer, offset: number): Stat {
  return {
    ino: readU64(buf, offset),
    size: readU64(buf, offset + 8),
    blocks: readU64(buf, offset + 16),
    atime: readTime(buf, offset + 24, offset + 48),
    mtime: readTime(buf, offset + 32, offset + 52),
    ctime: readTime(buf, offset + 40, offset + 56),
    mode: readU32(buf, offset + 60),
    nlink: readU32(buf, offset + 64),
    uid: readU32(buf, offset + 68),
    gid: readU32(buf, offset + 72),
    rdev: readU32(buf, offset + 76),
    blksize: readU32(buf, offset + 80),
  }
}

function readTime(buf: Buffer, secOffset: number, nsecOffset: number): Timespec {
  return { sec: Number(buf.readBigInt64LE(secOffset)), nsec: readU32(buf, nsecOffset) }
}

/** fuse_entry_out; nodeid 0 is a cached negative lookup (or, in READDIRPLUS, a name without a node). */
export function encodeEntry(buf: Buffer, offset: number, nodeid: number, st: Stat | undefined, entryTimeout: number, attrTimeout: number, generation = 0): void {
  const [entrySec, entryNsec] = splitSeconds(entryTimeout)
  const [attrSec, attrNsec] = splitSeconds(attrTimeout)
  writeU64(buf, offset, nodeid)
  writeU64(buf, offset + 8, generation)
  writeU64(buf, offset + 16, entrySec)
  writeU64(buf, offset + 24, attrSec)
  writeU32(buf, offset + 32, entryNsec)
  writeU32(buf, offset + 36, attrNsec)
  if (st) encodeAttr(buf, offset + 40, st)
  else buf.fill(0, offset + 40, offset + ENTRY_OUT_SIZE)
}

export function encodeAttrOut(buf: Buffer, offset: number, st: Stat, attrTimeout: number): void {
  const [sec, nsec] = splitSeconds(attrTimeout)
  writeU64(buf, offset, sec)
  writeU32(buf, offset + 8, nsec)
  writeU32(buf, offset + 12, 0)
  encodeAttr(buf, offset + 16, st)
}

export function encodeOpenOut(buf: Buffer, offset: number, fh: number, openFlags: number, backingId = 0): void {
  writeU64(buf, offset, fh)
  writeU32(buf, offset + 8, openFlags)
  writeI32(buf, offset + 12, backingId)
}

export function encodeStatfs(buf: Buffer, offset: number, s: StatVfs): void {
  writeU64(buf, offset, s.blocks)
  writeU64(buf, offset + 8, s.bfree)
  writeU64(buf, offset + 16, s.bavail)
  writeU64(buf, offset + 24, s.files)
  writeU64(buf, offset + 32, s.ffree)
  writeU32(buf, offset + 40, s.bsize)
  writeU32(buf, offset + 44, s.namemax)
  writeU32(buf, offset + 48, s.frsize)
  buf.fill(0, offset + 52, offset + STATFS_OUT_SIZE)
}

/** Size of one fuse_dirent with its name, padded to 8 bytes. */
export function direntSize(nameBytes: number): number {
  return (DIRENT_HEADER_SIZE + nameBytes + 7) & ~7
}

/** Size of one fuse_direntplus: an entry_out, then the dirent. */
export function direntPlusSize(nameBytes: number): number {
  return ENTRY_OUT_SIZE + direntSize(nameBytes)
}

/**
 * Writes one fuse_dirent, its name of `nameBytes` UTF-8 bytes written straight into `buf` (no
 * Buffer per name); `next` is the offset the kernel passes to continue after it.
 */
export function encodeDirent(buf: Buffer, offset: number, ino: number, next: number, type: number, name: string, nameBytes: number): number {
  const size = direntSize(nameBytes)
  if (ino <= 0xffff_ffff && ino >= 0 && next <= 0xffff_ffff && next >= 0 && nameBytes <= 0xffff && type <= 0xffff) {
    // The header stored here, not through the field helpers: a listing runs this once per entry,
    // mostly before V8 has optimized it, when each call costs more than the stores (the first
    // listing of 100,000 entries: about 30% less time in JavaScript).
    buf[offset] = ino
    buf[offset + 1] = ino >>> 8
    buf[offset + 2] = ino >>> 16
    buf[offset + 3] = ino >>> 24
    buf[offset + 4] = buf[offset + 5] = buf[offset + 6] = buf[offset + 7] = 0
    buf[offset + 8] = next
    buf[offset + 9] = next >>> 8
    buf[offset + 10] = next >>> 16
    buf[offset + 11] = next >>> 24
    buf[offset + 12] = buf[offset + 13] = buf[offset + 14] = buf[offset + 15] = 0
    buf[offset + 16] = nameBytes
    buf[offset + 17] = nameBytes >>> 8
    buf[offset + 18] = buf[offset + 19] = 0
    buf[offset + 20] = type
    buf[offset + 21] = type >>> 8
    buf[offset + 22] = buf[offset + 23] = 0
  } else {
    writeU64(buf, offset, ino)
    writeU64(buf, offset + 8, next)
    writeU32(buf, offset + 16, nameBytes)
    writeU32(buf, offset + 20, type)
  }
  const start = offset + DIRENT_HEADER_SIZE
  // Most names are short and ASCII (as many bytes as characters): stored here byte by byte,
  // cheaper than a call into Node's encoder and its checks, once per entry of every listing.
  if (nameBytes === name.length && nameBytes <= SHORT_NAME) {
    for (let i = 0; i < nameBytes; i++) buf[start + i] = name.charCodeAt(i)
  } else {
    buf.write(name, start, nameBytes, 'utf8')
  }
  for (let at = start + nameBytes; at < offset + size; at++) buf[at] = 0
  return size
}

/** Names up to this many ASCII characters are copied by encodeDirent itself. */
const SHORT_NAME = 64

/** fuse_init_out for the kernel's INIT. */
export interface InitOut {
  maxReadahead: number
  flags: number
  flags2: number
  maxWrite: number
  maxPages: number
  /** How deep filesystems may stack under this one (FUSE passthrough's backing files). */
  maxStackDepth: number
}

export function encodeInitOut(buf: Buffer, offset: number, init: InitOut): void {
  buf.fill(0, offset, offset + INIT_OUT_SIZE)
  writeU32(buf, offset, FUSE_KERNEL_VERSION)
  writeU32(buf, offset + 4, FUSE_KERNEL_MINOR_VERSION)
  writeU32(buf, offset + 8, init.maxReadahead)
  writeU32(buf, offset + 12, init.flags)
  buf.writeUInt16LE(16, offset + 16) // max_background
  buf.writeUInt16LE(12, offset + 18) // congestion_threshold
  writeU32(buf, offset + 20, init.maxWrite)
  writeU32(buf, offset + 24, 1) // time_gran: nanoseconds
  buf.writeUInt16LE(init.maxPages, offset + 28)
  writeU32(buf, offset + 32, init.flags2)
  writeU32(buf, offset + 36, init.maxStackDepth)
}
