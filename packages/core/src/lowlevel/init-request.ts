import { Errno, FsError } from '../errno.js'
import { decodeInit } from './decoders.js'
import type { KernelRequest, KernelSession } from './kernel-session.js'
import { ringPayloadSize } from './uring-availability.js'
import { FUSE_KERNEL_VERSION, INIT_OUT_SIZE, InitFlag, InitFlag2, OUT_HEADER_SIZE as OUT, encodeInitOut, replyBuffer } from './protocol.js'

/** What each readdirplus mode asks of the kernel (MountOptions.readdirplus). */
const READDIRPLUS_FLAGS = {
  auto: InitFlag.DO_READDIRPLUS | InitFlag.READDIRPLUS_AUTO,
  always: InitFlag.DO_READDIRPLUS,
  off: 0,
} as const

/** INIT: agrees on the protocol and the features both sides want. */
export async function init(s: KernelSession, { header, body }: KernelRequest): Promise<Buffer> {
  const offered = decodeInit(body)
  if (offered.major < FUSE_KERNEL_VERSION) throw new FsError(Errno.EPROTO)
  const maxPages = Math.ceil(s.options.maxWrite / 4096)
  let flags = InitFlag.ASYNC_READ | InitFlag.BIG_WRITES | READDIRPLUS_FLAGS[s.options.readdirplus] | (maxPages > 32 ? InitFlag.MAX_PAGES : 0)
  if (s.options.writebackCache) flags |= InitFlag.WRITEBACK_CACHE
  let flags2 = 0
  const opendirNeeded = s.handler.implements('opendir') || s.handler.implements('releasedir')
  s.listings.zeroMessageAllowed = (offered.flags & InitFlag.NO_OPENDIR_SUPPORT) !== 0 && !opendirNeeded
  if (s.backing.available && offered.flags2 & InitFlag2.PASSTHROUGH) {
    flags |= InitFlag.INIT_EXT
    flags2 |= InitFlag2.PASSTHROUGH
    s.backing.enable()
  }
  if (s.uring?.accept((offered.flags2 & InitFlag2.OVER_IO_URING) !== 0, ringPayloadSize(s.options.maxWrite, maxPages))) {
    flags |= InitFlag.INIT_EXT
    flags2 |= InitFlag2.OVER_IO_URING
  }
  // Backends clear set-id bits themselves (posix/set-id-bits.ts). Not those with backing files:
  // their writes are the kernel's or the addon's, as the server, and nothing would clear the bits.
  if (!s.handler.hasBackingFiles) flags |= InitFlag.HANDLE_KILLPRIV_V2
  s.writebackCache = (offered.flags & flags & InitFlag.WRITEBACK_CACHE) !== 0
  const reply = replyBuffer(header.unique, INIT_OUT_SIZE)
  // Stack depth 1: backing files on ordinary filesystems, not on another stacking one.
  const maxStackDepth = flags2 & InitFlag2.PASSTHROUGH ? 1 : 0
  encodeInitOut(reply, OUT, { maxReadahead: offered.maxReadahead, flags: offered.flags & flags, flags2, maxWrite: s.options.maxWrite, maxPages, maxStackDepth })
  return reply
}
