import { Errno, FsError } from '../errno.js'
import { OpenFlags } from '../types.js'
import {
  decodeCopyFileRange,
  decodeCreate,
  decodeFallocate,
  decodeFlush,
  decodeFsync,
  decodeLseek,
  decodeOpen,
  decodeRead,
  decodeRelease,
  decodeWrite,
} from './decoders.js'
import type { KernelRequest, KernelSession } from './kernel-session.js'
import {
  ENTRY_OUT_SIZE,
  FOPEN_DIRECT_IO,
  FOPEN_KEEP_CACHE,
  FOPEN_PASSTHROUGH,
  OPEN_OUT_SIZE,
  OUT_HEADER_SIZE as OUT,
  encodeEntry,
  encodeOpenOut,
  replyBuffer,
  truncateReply,
  writeU64,
} from './protocol.js'

/** Requests about open files: open, create, I/O, flush, release, fsync, fallocate, lseek, copy. */

/**
 * The open flags a backend is given. With the writeback cache the kernel reads pages around a
 * partial write (also through a write-only descriptor) and appends itself: a write-only open
 * becomes read-write, and O_APPEND is dropped (its writes arrive at the end already).
 */
function openFlagsForBackend(s: KernelSession, flags: number): number {
  if (!s.writebackCache) return flags
  const access = flags & OpenFlags.O_ACCMODE
  return (flags & ~(OpenFlags.O_ACCMODE | OpenFlags.O_APPEND)) | (access === OpenFlags.O_WRONLY ? OpenFlags.O_RDWR : access)
}

export async function open(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { flags } = decodeOpen(body)
  const ino = header.nodeid
  const fh = s.handler.implements('open') ? ((await s.ask('open', [ctx, ino, openFlagsForBackend(s, flags)])) ?? 0) : 0
  const opened = openedHandle(s, ino, fh, flags)
  // A passthrough file's pages are the backing file's own: nothing of ours to keep or drop.
  if (s.options.autoCache && opened.backingId === undefined) {
    if (s.pageVersions.unchangedSinceLastOpen(ino, await s.ask('getattr', [ctx, ino, fh]))) opened.flags |= FOPEN_KEEP_CACHE
  }
  const reply = replyBuffer(header.unique, OPEN_OUT_SIZE)
  encodeOpenOut(reply, OUT, fh, opened.flags, opened.backingId)
  return reply
}

export async function create(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  // Without create the kernel falls back to MKNOD and OPEN.
  if (!s.handler.implements('create')) throw new FsError(Errno.ENOSYS)
  const { flags, mode, umask, name } = decodeCreate(body)
  ctx.umask = umask
  const created = await s.ask('create', [ctx, header.nodeid, name, mode, openFlagsForBackend(s, flags)])
  const reply = replyBuffer(header.unique, ENTRY_OUT_SIZE + OPEN_OUT_SIZE)
  encodeEntry(reply, OUT, created.ino, created.attr, s.options.entryTimeout, s.options.attrTimeout, created.generation)
  if (s.options.autoCache) s.pageVersions.created(created.ino, created.attr)
  const opened = openedHandle(s, created.ino, created.fh, flags)
  encodeOpenOut(reply, OUT + ENTRY_OUT_SIZE, created.fh, opened.flags, opened.backingId)
  return reply
}

/**
 * Registers a handle just opened or created, with its open flags: the kernel's own I/O on the
 * backing file (FUSE passthrough); or, for O_DIRECT, every read and write sent to us (answered
 * from the source's page cache, as bindfs does: by the addon when the handle has a descriptor,
 * else by the backend); or our page-cache policy.
 */
function openedHandle(s: KernelSession, nodeid: number, fh: number, requestFlags: number): { flags: number; backingId: number | undefined } {
  const direct = (requestFlags & OpenFlags.O_DIRECT) !== 0
  const backingId = s.backing.attach(nodeid, fh, direct)
  if (backingId !== undefined) return { flags: FOPEN_PASSTHROUGH, backingId }
  return { flags: direct ? FOPEN_DIRECT_IO : s.options.kernelCache ? FOPEN_KEEP_CACHE : 0, backingId }
}

export async function read(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { fh, offset, size } = decodeRead(body)
  const reply = s.pooledReply(header.unique, size)
  const count = await s.ask('read', [ctx, header.nodeid, fh, reply.subarray(OUT), offset])
  return truncateReply(reply, Math.min(count, size))
}

export async function write(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { fh, offset, data } = decodeWrite(body)
  return sizeReply(header.unique, await s.ask('write', [ctx, header.nodeid, fh, data, offset]))
}

export function flush(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  return s.rememberedNoop('flush', [ctx, header.nodeid, decodeFlush(body).fh])
}

export function release(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  const { fh } = decodeRelease(body)
  // Before the backend closes the descriptor: the addon must not use it any more.
  s.backing.detach(header.nodeid, fh)
  return s.optional('release', [ctx, header.nodeid, fh])
}

export function fsync(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  const { fh, datasync } = decodeFsync(body)
  return s.rememberedNoop('fsync', [ctx, header.nodeid, fh, datasync])
}

export async function fallocate(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  const { fh, offset, length, mode } = decodeFallocate(body)
  await s.ask('fallocate', [ctx, header.nodeid, fh, mode, offset, length])
  return undefined
}

export async function lseek(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { fh, offset, whence } = decodeLseek(body)
  const result = await s.ask('lseek', [ctx, header.nodeid, fh, offset, whence])
  const reply = replyBuffer(header.unique, 8)
  writeU64(reply, OUT, result)
  return reply
}

export async function copyFileRange(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const c = decodeCopyFileRange(body)
  const count = await s.ask('copyFileRange', [ctx, header.nodeid, c.fhIn, c.offsetIn, c.inoOut, c.fhOut, c.offsetOut, c.length, c.flags])
  return sizeReply(header.unique, count)
}

/** fuse_write_out: a byte count (WRITE, COPY_FILE_RANGE). */
function sizeReply(unique: number, count: number): Buffer {
  const reply = replyBuffer(unique, 8)
  reply.writeUInt32LE(count, OUT)
  reply.writeUInt32LE(0, OUT + 4)
  return reply
}
