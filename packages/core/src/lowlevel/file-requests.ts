import { Errno } from '../errno.js'
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
  FOPEN_NOFLUSH,
  FOPEN_PASSTHROUGH,
  OPEN_OUT_SIZE,
  OUT_HEADER_SIZE as OUT,
  encodeEntry,
  encodeOpenOut,
  replyBuffer,
  truncateReply,
  writeU64,
  writeU32,
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

export function open(s: KernelSession, req: KernelRequest): void {
  const { flags } = decodeOpen(req.body)
  const ino = req.header.nodeid
  if (s.options.autoCache) s.settle(req, openKeepingCache(s, req, flags))
  else if (!s.handler.implements('open')) s.finish(req, openReply(req, 0, openedHandle(s, ino, 0, flags)))
  else s.call(req, 'open', [req.ctx, ino, openFlagsForBackend(s, flags)], (_s, _req, fh) => openReply(req, fh ?? 0, openedHandle(s, ino, fh ?? 0, flags)))
}

/** auto_cache: the pages are kept when size and mtime are what they were at the last open. */
async function openKeepingCache(s: KernelSession, req: KernelRequest, flags: number): Promise<Buffer> {
  const { header, ctx } = req
  const ino = header.nodeid
  const fh = s.handler.implements('open') ? ((await s.ask('open', [ctx, ino, openFlagsForBackend(s, flags)])) ?? 0) : 0
  const opened = openedHandle(s, ino, fh, flags)
  // A passthrough file's pages are the backing file's own: nothing of ours to keep or drop.
  if (opened.backingId === undefined && s.pageVersions.unchangedSinceLastOpen(ino, await s.ask('getattr', [ctx, ino, fh]))) opened.flags |= FOPEN_KEEP_CACHE
  return openReply(req, fh, opened)
}

function openReply(req: KernelRequest, fh: number, opened: { flags: number; backingId: number | undefined }): Buffer {
  const reply = replyBuffer(req.header.unique, OPEN_OUT_SIZE)
  encodeOpenOut(reply, OUT, fh, opened.flags, opened.backingId)
  return reply
}

export function create(s: KernelSession, req: KernelRequest): void {
  // Without create the kernel falls back to MKNOD and OPEN.
  if (!s.handler.implements('create')) return s.fail(req, Errno.ENOSYS)
  const { flags, mode, umask, name } = decodeCreate(req.body)
  req.ctx.umask = umask
  s.call(req, 'create', [req.ctx, req.header.nodeid, name, mode, openFlagsForBackend(s, flags)], (_s, { header }, created) => {
    const reply = s.scratchReply(header.unique, ENTRY_OUT_SIZE + OPEN_OUT_SIZE)
    encodeEntry(reply, OUT, created.ino, created.attr, s.options.entryTimeout, s.options.attrTimeout, created.generation)
    if (s.options.autoCache) s.pageVersions.created(created.ino, created.attr)
    const opened = openedHandle(s, created.ino, created.fh, flags)
    encodeOpenOut(reply, OUT + ENTRY_OUT_SIZE, created.fh, opened.flags, opened.backingId)
    return reply
  })
}

/**
 * Registers a handle just opened or created, with its open flags: the kernel's own I/O on the
 * backing file (FUSE passthrough); or, for O_DIRECT, every read and write sent to us (answered
 * from the source's page cache, as bindfs does: by the addon when the handle has a descriptor,
 * else by the backend); or our page-cache policy.
 *
 * A write-only handle skips the page cache too (unless the writeback cache holds writes): its
 * writes go to us straight from the caller's memory, not copied first into pages nobody reads
 * through it, and the kernel no longer asks for security.capability before each new file's
 * first write (it sends FUSE_WRITE_KILL_SUIDGID instead): a create + write + close is five
 * requests, not six. It invalidates the pages it writes over for other handles.
 *
 * Any handle may close with no FLUSH (FOPEN_NOFLUSH), when the backend says its flush has
 * nothing to do for it (flushNeeded): a create + close is three requests, not four.
 */
function openedHandle(s: KernelSession, nodeid: number, fh: number, requestFlags: number): { flags: number; backingId: number | undefined } {
  const direct = (requestFlags & OpenFlags.O_DIRECT) !== 0
  const backingId = s.backing.attach(nodeid, fh, direct)
  const noFlush = s.handler.implements('flush') && !s.handler.flushNeeded(nodeid, fh) ? FOPEN_NOFLUSH : 0
  if (backingId !== undefined) return { flags: FOPEN_PASSTHROUGH | noFlush, backingId }
  const writeOnly = (requestFlags & OpenFlags.O_ACCMODE) === OpenFlags.O_WRONLY && !s.writebackCache
  return { flags: noFlush | (direct || writeOnly ? FOPEN_DIRECT_IO : s.options.kernelCache ? FOPEN_KEEP_CACHE : 0), backingId }
}

export function read(s: KernelSession, req: KernelRequest): void {
  const { fh, offset, size } = decodeRead(req.body)
  if (s.pieceReplies && s.handler.implements('readSlices')) {
    s.call(req, 'readSlices', [req.ctx, req.header.nodeid, fh, offset, size], (_s, { header }, slices) => s.piecesReply(header.unique, slices, size))
    return
  }
  const reply = s.pooledReply(req.header.unique, size)
  s.call(req, 'read', [req.ctx, req.header.nodeid, fh, reply.subarray(OUT), offset], (_s, _req, count) => truncateReply(reply, Math.min(count, size)))
}

export function write(s: KernelSession, req: KernelRequest): void {
  const { fh, offset, data } = decodeWrite(req.body)
  // The bytes stay where the kernel put them: a backend that answers later is lent the request
  // buffer until it answers (a synchronous one, such as memory, costs no copy at all).
  req.lent = s.call(req, 'write', [req.ctx, req.header.nodeid, fh, data, offset], sizeReply)
}

export function flush(s: KernelSession, req: KernelRequest): void {
  s.rememberedNoop(req, 'flush', [req.ctx, req.header.nodeid, decodeFlush(req.body).fh])
}

export function release(s: KernelSession, req: KernelRequest): void {
  const { fh } = decodeRelease(req.body)
  // Before the backend closes the descriptor or lets its bytes go: the addon must not use them
  // any more (and a later handle of the same number is another file's).
  s.backing.detach(req.header.nodeid, fh)
  s.resident?.forget(fh)
  s.optional(req, 'release', [req.ctx, req.header.nodeid, fh])
}

export function fsync(s: KernelSession, req: KernelRequest): void {
  const { fh, datasync } = decodeFsync(req.body)
  s.rememberedNoop(req, 'fsync', [req.ctx, req.header.nodeid, fh, datasync])
}

export function fallocate(s: KernelSession, req: KernelRequest): void {
  const { fh, offset, length, mode } = decodeFallocate(req.body)
  s.call(req, 'fallocate', [req.ctx, req.header.nodeid, fh, mode, offset, length], () => undefined)
}

export function lseek(s: KernelSession, req: KernelRequest): void {
  const { fh, offset, whence } = decodeLseek(req.body)
  s.call(req, 'lseek', [req.ctx, req.header.nodeid, fh, offset, whence], (_s, { header }, result) => {
    const reply = replyBuffer(header.unique, 8)
    writeU64(reply, OUT, result)
    return reply
  })
}

export function copyFileRange(s: KernelSession, req: KernelRequest): void {
  const c = decodeCopyFileRange(req.body)
  s.call(req, 'copyFileRange', [req.ctx, req.header.nodeid, c.fhIn, c.offsetIn, c.inoOut, c.fhOut, c.offsetOut, c.length, c.flags], sizeReply)
}

/** fuse_write_out: a byte count (WRITE, COPY_FILE_RANGE). */
function sizeReply(s: KernelSession, { header }: KernelRequest, count: number): Buffer {
  const reply = s.scratchReply(header.unique, 8)
  writeU32(reply, OUT, count)
  writeU32(reply, OUT + 4, 0)
  return reply
}
