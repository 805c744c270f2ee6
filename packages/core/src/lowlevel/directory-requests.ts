import { Errno } from '../errno.js'
import type { InodeDirEntry } from '../inode-operations.js'
import { isListingWriter, type ListingWriter } from '../listing-writer.js'
import { decodeFsync, decodeOpen, decodeRead, decodeRelease } from './decoders.js'
import type { Listing } from './directory-listings.js'
import type { KernelRequest, KernelSession } from './kernel-session.js'
import {
  ENTRY_OUT_SIZE,
  FUSE_UNKNOWN_INO,
  OPEN_OUT_SIZE,
  OUT_HEADER_SIZE as OUT,
  direntPlusSize,
  direntSize,
  encodeDirent,
  encodeEntry,
  encodeOpenOut,
  replyBuffer,
  truncateReply,
} from './protocol.js'

/** Requests about open directories: opendir, readdir(plus), releasedir, fsyncdir. */

export function opendir(s: KernelSession, req: KernelRequest): void {
  if (s.listings.openWithoutMessage()) return s.fail(req, Errno.ENOSYS) // from now on the kernel does not ask
  const { flags } = decodeOpen(req.body)
  if (s.handler.implements('opendir')) s.call(req, 'opendir', [req.ctx, req.header.nodeid, flags], (_s, _req, fh) => listingReply(s, req, fh ?? 0))
  else s.finish(req, listingReply(s, req, 0))
}

function listingReply(s: KernelSession, req: KernelRequest, fh: number): Buffer {
  const reply = replyBuffer(req.header.unique, OPEN_OUT_SIZE)
  encodeOpenOut(reply, OUT, s.listings.open(fh), 0)
  return reply
}

export const readdir = (s: KernelSession, req: KernelRequest) => list(s, req, false)
export const readdirplus = (s: KernelSession, req: KernelRequest) => list(s, req, true)

/**
 * Fills the kernel's buffer from the listing's iterator, continuing where the last read stopped
 * (at once, with no call to the backend), whichever kind the kernel asks for: it goes on with
 * plain READDIR past a large directory's first READDIRPLUS buffer, and back to READDIRPLUS when
 * the caller stats what it read. One listing from start to end is one snapshot of the backend's
 * order, so a name stays listed once while others are made, uploaded or removed between the
 * pieces. Entries with stats sent without them are forgotten (encodeEntries); entries without
 * stats go in a READDIRPLUS with no node (the kernel looks them up if asked). A read from
 * anywhere else (the first, rewinddir, seekdir) asks the backend again from that offset. A
 * listing at its end answers either kind at once (a small directory: the READDIRPLUS took it
 * all, the READDIR after it finds the end); where the driver answers that READDIR itself
 * (ListingEnds), it is told so and the listing goes at once.
 */
function list(s: KernelSession, req: KernelRequest, plus: boolean): void {
  const { fh: handle, offset, size } = decodeRead(req.body)
  const nodeid = req.header.nodeid
  const listing = s.listings.reading(nodeid, handle)
  if (!listing) return s.fail(req, Errno.EBADF)
  if (listing.source !== undefined && offset === listing.next) {
    if (!plus && listing.withStats) withoutStats(s, listing)
    const reply = fill(s, req, listing, handle, size, plus)
    const { writer } = listing
    const readAhead = !listing.ended && writer?.needsReadAhead?.() ? writer.readAhead : undefined
    s.finish(req, reply, readAhead !== undefined)
    readAhead?.call(writer)
    return
  }
  dropHeld(s, listing)
  s.call(req, 'readdir', [req.ctx, nodeid, listing.fh, offset, plus], (_s, _req, entries) => {
    listing.writer = isListingWriter(entries) ? entries : undefined
    listing.source = entries
    listing.entries = undefined
    listing.withStats = plus
    listing.ended = false
    listing.next = offset
    return fill(s, req, listing, handle, size, plus)
  })
}

/** The kernel goes on without stats: the backend's listing from there without them, if it has one cheaper. */
function withoutStats(s: KernelSession, listing: Listing): void {
  listing.withStats = false
  const lighter = listing.ended ? undefined : listing.source?.withoutStats?.(listing.next)
  if (lighter === undefined) return
  dropHeld(s, listing)
  listing.source = lighter
  listing.writer = isListingWriter(lighter) ? lighter : undefined
  listing.entries = undefined
}

function fill(s: KernelSession, { header }: KernelRequest, listing: Listing, handle: number, size: number, plus: boolean): Buffer {
  const reply = s.pooledReply(header.unique, size)
  const { writer } = listing
  const from = listing.next
  const written = writer !== undefined && (!plus || writer.writesPlus) && listing.held === undefined
  const used = written ? writeEntries(listing, writer, reply, size, plus) : encodeEntries(s, listing, reply, size, plus)
  // The READDIR after this one finds the end: the driver answers it, and the listing goes now.
  const endsInDriver = used > 0 && listing.ended ? s.listingEnds : undefined
  // With it, a whole listing with stats, which the driver may answer the next reading of (`rm -rf` lists every directory twice).
  endsInDriver?.mark(header.nodeid, handle, listing.next, plus && from === 0 ? reply.subarray(OUT, OUT + used) : undefined)
  if (used === 0 || endsInDriver) s.listings.finished(header.nodeid)
  return truncateReply(reply, used)
}

/** Encodes the entries that fit, one by one, from the listing's iterator; the bytes used. */
function encodeEntries(s: KernelSession, listing: Listing, reply: Buffer, size: number, plus: boolean): number {
  let used = 0
  for (;;) {
    const entry = listing.held ?? nextEntry(listing)
    listing.held = undefined
    if (entry === undefined) {
      listing.ended = true
      return used
    }
    const nameBytes = Buffer.byteLength(entry.name)
    const length = plus ? direntPlusSize(nameBytes) : direntSize(nameBytes)
    if (used + length > size) {
      listing.held = entry
      return used
    }
    // The kernel takes an entry's node (and its lookup) only in READDIRPLUS, never for . and ..
    const dots = entry.name === '.' || entry.name === '..'
    const node = plus && !dots ? entry.entry : undefined
    if (entry.entry && !node) s.handler.forget(entry.entry.ino, 1)
    if (plus) {
      encodeEntry(reply, OUT + used, node?.ino ?? 0, node?.attr, s.options.entryTimeout, s.options.attrTimeout, node?.generation)
      used += ENTRY_OUT_SIZE
    }
    listing.next++
    used += encodeDirent(reply, OUT + used, entry.ino || FUSE_UNKNOWN_INO, listing.next, entry.type >>> 12, entry.name, nameBytes)
  }
}

/** A listing that writes itself (held bytes, or written by the backend's own code): no InodeDirEntry per entry; the bytes used. */
function writeEntries(listing: Listing, writer: ListingWriter, reply: Buffer, size: number, plus: boolean): number {
  const used = writer.write(reply, OUT, size, plus)
  listing.next = writer.offset
  listing.ended = writer.atEnd
  return used
}

function nextEntry(listing: Listing): InodeDirEntry | undefined {
  listing.entries ??= listing.source?.[Symbol.iterator]()
  const step = listing.entries?.next()
  return step === undefined || step.done ? undefined : step.value
}

/** An entry drawn but never sent: its lookup was counted, so it is given back. */
export function dropHeld(s: KernelSession, listing: Listing): void {
  if (listing.held?.entry) s.handler.forget(listing.held.entry.ino, 1)
  listing.held = undefined
}

export function releasedir(s: KernelSession, req: KernelRequest): void {
  const listing = s.listings.release(decodeRelease(req.body).fh)
  if (listing) dropHeld(s, listing)
  s.optional(req, 'releasedir', [req.ctx, req.header.nodeid, listing?.fh ?? 0])
}

export function fsyncdir(s: KernelSession, req: KernelRequest): void {
  const { fh, datasync } = decodeFsync(req.body)
  s.rememberedNoop(req, 'fsyncdir', [req.ctx, req.header.nodeid, s.listings.get(fh)?.fh ?? 0, datasync])
}
