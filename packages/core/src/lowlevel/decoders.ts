import type { Timespec } from '../types.js'
import { readU32, readU64 } from './protocol.js'
import { MalformedRequest, RequestReader } from './request-reader.js'

/**
 * One decoder per request kind: the body after fuse_in_header, as linux/fuse.h lays it out for
 * protocol 7.31. Every decoder checks lengths (RequestReader): a short body throws
 * MalformedRequest, never yields a wrong field.
 */

export const IN_HEADER_SIZE = 40

/** fuse_in_header. */
export interface RequestHeader {
  length: number
  opcode: number
  unique: number
  nodeid: number
  uid: number
  gid: number
  pid: number
}

/** The header of the request in the first `length` bytes of `request` (all of them by default). */
export function decodeHeader(request: Buffer, length = request.length): RequestHeader {
  if (length < IN_HEADER_SIZE) throw new MalformedRequest(`a request of ${length} bytes, shorter than its header`)
  // Read in place, the whole header's length checked at once: this runs for every request.
  const header = {
    length: readU32(request, 0),
    opcode: readU32(request, 4),
    unique: readU64(request, 8),
    nodeid: readU64(request, 16),
    uid: readU32(request, 24),
    gid: readU32(request, 28),
    pid: readU32(request, 32),
  }
  if (header.length !== length) throw new MalformedRequest(`a request of ${length} bytes whose header says ${header.length}`)
  return header
}

/** LOOKUP, UNLINK, RMDIR, REMOVEXATTR: a name. */
export function decodeName(body: Buffer, what: string): string {
  return new RequestReader(body, what).name()
}

export function decodeForget(body: Buffer): number {
  return new RequestReader(body, 'fuse_forget_in').u64()
}

/** BATCH_FORGET: pairs of (node id, lookups to drop). */
export function decodeBatchForget(body: Buffer): Array<[nodeid: number, nlookup: number]> {
  const r = new RequestReader(body, 'fuse_batch_forget_in')
  const count = r.u32()
  r.skip(4)
  if (count * 16 > r.remaining) throw new MalformedRequest(`fuse_batch_forget_in: ${count} entries announced, room for ${Math.floor(r.remaining / 16)}`)
  const pairs: Array<[number, number]> = []
  for (let i = 0; i < count; i++) pairs.push([r.u64(), r.u64()])
  return pairs
}

export const FUSE_GETATTR_FH = 1

/** GETATTR: the handle, when the request came through one (fstat). */
export function decodeGetattr(body: Buffer): { fh: number | undefined } {
  const r = new RequestReader(body, 'fuse_getattr_in')
  const flags = r.u32()
  r.skip(4)
  const fh = r.u64()
  return { fh: flags & FUSE_GETATTR_FH ? fh : undefined }
}

export interface SetattrIn {
  valid: number
  fh: number
  size: number
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
  mode: number
  uid: number
  gid: number
}

export function decodeSetattr(body: Buffer): SetattrIn {
  const r = new RequestReader(body, 'fuse_setattr_in')
  const valid = r.u32()
  r.skip(4)
  const fh = r.u64()
  const size = r.u64()
  r.skip(8) // lock_owner
  // Times are signed: before 1970 they are negative.
  const [atimeSec, mtimeSec, ctimeSec] = [signed(r.bytes(8)), signed(r.bytes(8)), signed(r.bytes(8))]
  const [atimeNsec, mtimeNsec, ctimeNsec] = [r.u32(), r.u32(), r.u32()]
  const mode = r.u32()
  r.skip(4)
  const uid = r.u32()
  const gid = r.u32()
  r.skip(4)
  return {
    valid,
    fh,
    size,
    atime: { sec: atimeSec, nsec: atimeNsec },
    mtime: { sec: mtimeSec, nsec: mtimeNsec },
    ctime: { sec: ctimeSec, nsec: ctimeNsec },
    mode,
    uid,
    gid,
  }
}

function signed(bytes: Buffer): number {
  return Number(bytes.readBigInt64LE(0))
}

/** SYMLINK: the new name, then the target. */
export function decodeSymlink(body: Buffer): { name: string; target: string } {
  const r = new RequestReader(body, 'symlink')
  return { name: r.name(), target: r.name() }
}

export function decodeMknod(body: Buffer): { mode: number; rdev: number; umask: number; name: string } {
  const r = new RequestReader(body, 'fuse_mknod_in')
  const mode = r.u32()
  const rdev = r.u32()
  const umask = r.u32()
  r.skip(4)
  return { mode, rdev, umask, name: r.name() }
}

export function decodeMkdir(body: Buffer): { mode: number; umask: number; name: string } {
  const r = new RequestReader(body, 'fuse_mkdir_in')
  return { mode: r.u32(), umask: r.u32(), name: r.name() }
}

export interface RenameIn {
  newParent: number
  flags: number
  name: string
  newName: string
}

export function decodeRename(body: Buffer): RenameIn {
  const r = new RequestReader(body, 'fuse_rename_in')
  const newParent = r.u64()
  return { newParent, flags: 0, name: r.name(), newName: r.name() }
}

export function decodeRename2(body: Buffer): RenameIn {
  const r = new RequestReader(body, 'fuse_rename2_in')
  const newParent = r.u64()
  const flags = r.u32()
  r.skip(4)
  return { newParent, flags, name: r.name(), newName: r.name() }
}

/** LINK: the node being linked; the request's node id is the new parent. */
export function decodeLink(body: Buffer): { ino: number; newName: string } {
  const r = new RequestReader(body, 'fuse_link_in')
  return { ino: r.u64(), newName: r.name() }
}

/** OPEN and OPENDIR. */
export function decodeOpen(body: Buffer): { flags: number } {
  const r = new RequestReader(body, 'fuse_open_in')
  const flags = r.u32()
  r.skip(4)
  return { flags }
}

export function decodeCreate(body: Buffer): { flags: number; mode: number; umask: number; name: string } {
  const r = new RequestReader(body, 'fuse_create_in')
  const flags = r.u32()
  const mode = r.u32()
  const umask = r.u32()
  r.skip(4)
  return { flags, mode, umask, name: r.name() }
}

/** READ, READDIR and READDIRPLUS. */
export function decodeRead(body: Buffer): { fh: number; offset: number; size: number } {
  const r = new RequestReader(body, 'fuse_read_in')
  const read = { fh: r.u64(), offset: r.u64(), size: r.u32() }
  r.skip(4 + 8 + 4 + 4)
  return read
}

/** WRITE: the data is a view into the request, valid while it is being handled. */
export function decodeWrite(body: Buffer): { fh: number; offset: number; data: Buffer } {
  const r = new RequestReader(body, 'fuse_write_in')
  const fh = r.u64()
  const offset = r.u64()
  const size = r.u32()
  r.skip(4 + 8 + 4 + 4)
  return { fh, offset, data: r.bytes(size) }
}

/** RELEASE and RELEASEDIR. */
export function decodeRelease(body: Buffer): { fh: number } {
  const r = new RequestReader(body, 'fuse_release_in')
  const fh = r.u64()
  r.skip(4 + 4 + 8)
  return { fh }
}

export function decodeFlush(body: Buffer): { fh: number } {
  const r = new RequestReader(body, 'fuse_flush_in')
  const fh = r.u64()
  r.skip(4 + 4 + 8)
  return { fh }
}

export const FUSE_FSYNC_FDATASYNC = 1

/** FSYNC and FSYNCDIR. */
export function decodeFsync(body: Buffer): { fh: number; datasync: boolean } {
  const r = new RequestReader(body, 'fuse_fsync_in')
  const fh = r.u64()
  const datasync = (r.u32() & FUSE_FSYNC_FDATASYNC) !== 0
  r.skip(4)
  return { fh, datasync }
}

/** SETXATTR: the value is a view into the request. */
export function decodeSetxattr(body: Buffer): { name: string; value: Buffer; flags: number } {
  const r = new RequestReader(body, 'fuse_setxattr_in')
  const size = r.u32()
  const flags = r.u32()
  const name = r.name()
  return { name, value: r.bytes(size), flags }
}

/** GETXATTR: the caller's buffer size (0: it asks for the length) and the name. */
export function decodeGetxattr(body: Buffer): { size: number; name: string } {
  const r = new RequestReader(body, 'fuse_getxattr_in')
  const size = r.u32()
  r.skip(4)
  return { size, name: r.name() }
}

export function decodeListxattr(body: Buffer): { size: number } {
  const r = new RequestReader(body, 'fuse_getxattr_in')
  const size = r.u32()
  r.skip(4)
  return { size }
}

export function decodeAccess(body: Buffer): { mask: number } {
  const r = new RequestReader(body, 'fuse_access_in')
  const mask = r.u32()
  r.skip(4)
  return { mask }
}

export function decodeInterrupt(body: Buffer): { unique: number } {
  return { unique: new RequestReader(body, 'fuse_interrupt_in').u64() }
}

export function decodeFallocate(body: Buffer): { fh: number; offset: number; length: number; mode: number } {
  const r = new RequestReader(body, 'fuse_fallocate_in')
  const request = { fh: r.u64(), offset: r.u64(), length: r.u64(), mode: r.u32() }
  r.skip(4)
  return request
}

export function decodeLseek(body: Buffer): { fh: number; offset: number; whence: number } {
  const r = new RequestReader(body, 'fuse_lseek_in')
  const request = { fh: r.u64(), offset: r.u64(), whence: r.u32() }
  r.skip(4)
  return request
}

export interface CopyFileRangeIn {
  fhIn: number
  offsetIn: number
  inoOut: number
  fhOut: number
  offsetOut: number
  length: number
  flags: number
}

export function decodeCopyFileRange(body: Buffer): CopyFileRangeIn {
  const r = new RequestReader(body, 'fuse_copy_file_range_in')
  return { fhIn: r.u64(), offsetIn: r.u64(), inoOut: r.u64(), fhOut: r.u64(), offsetOut: r.u64(), length: r.u64(), flags: r.u64() }
}

export const FUSE_INIT_EXT = 1 << 30

export interface InitIn {
  major: number
  minor: number
  maxReadahead: number
  flags: number
  /** Flags 32 and up, when the kernel sent them (FUSE_INIT_EXT). */
  flags2: number
}

export function decodeInit(body: Buffer): InitIn {
  const r = new RequestReader(body, 'fuse_init_in')
  const init = { major: r.u32(), minor: r.u32(), maxReadahead: r.u32(), flags: r.u32(), flags2: 0 }
  if (init.flags & FUSE_INIT_EXT) {
    init.flags2 = r.u32()
    r.skip(11 * 4) // unused: the extended structure is whole or malformed
  }
  return init
}
