import { closeSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import type { DriverMount, DriverMountRequest, InodeHandler } from '../driver.js'
import { Errno } from '../errno.js'
import { hotLoopMode } from '../hot-loop.js'
import type { ResidentReads } from '../resident-data.js'
import type { ListingEnds } from './directory-listings.js'
import { openKernelConnection } from './kernel-mount.js'
import { KernelSession, type PieceReplies } from './kernel-session.js'
import { raiseReadahead } from './mount-readahead.js'
import { splitSeconds } from './protocol.js'
import { ForgetLog } from './forget-log.js'
import { RemovalLog } from './removal-log.js'
import { sessionAddon } from './session-addon.js'
import { UringTransport } from './uring-transport.js'

/** Room for the largest request: a write of maxWrite bytes after its headers. */
const REQUEST_HEADROOM = 4096
/** Lent request buffers kept for reuse once their backend is done with them (at most this many MiB with 1 MiB writes). */
const SPARE_REQUEST_BUFFERS = 8

/**
 * Speaks the FUSE kernel protocol itself on Node's thread: requests are read from /dev/fuse when
 * libuv reports it readable and answered with one write, with no thread hand-off in between.
 * Mounts with mount(2) as root, through fusermount for everyone else (kernel-mount.ts).
 */
export class LowLevelDriver {
  readonly layer = 'inode'
  private readonly addon = sessionAddon()

  async mount({ mountpoint, handler, options, logger, resident, removals }: DriverMountRequest<InodeHandler>): Promise<DriverMount> {
    // mountinfo names it with its symbolic links resolved; resolved now, before the mount
    // would make that path lead to this very server.
    const realMountpoint = realPathOrSame(resolve(mountpoint))
    const connection = openKernelConnection({
      mountpoint: resolve(mountpoint),
      fsname: options.fsname,
      subtype: options.subtype,
      readOnly: options.readOnly,
      allowOther: options.allowOther,
      defaultPermissions: options.defaultPermissions,
      rawOptions: options.fuseOptions,
    })
    const { fd } = connection
    let open = true
    let kernelEnded = false
    let endedByKernel!: () => void
    const ended = new Promise<void>((resolve) => (endedByKernel = resolve))
    let initAnswered = false
    const uring = options.ioUring ? new UringTransport(this.addon, fd, logger, (request) => session.handle(request)) : undefined
    const send = (reply: Buffer, busy: boolean) => {
      // After close the number may belong to another file: late replies are dropped.
      if (!open || uring?.reply(reply)) return
      // A failure is ENOENT (the request was interrupted) or ENODEV (unmounted): nobody waits for this reply.
      if (busy) this.addon.replyBusy(poll, reply)
      else this.addon.reply(poll, reply)
      // The first reply is INIT's (the kernel sends nothing else before it), which sets the
      // readahead to at most what the kernel offered: raised once it is in.
      if (!initAnswered) {
        initAnswered = true
        raiseReadahead(realMountpoint, options.maxWrite / 1024, logger)
      }
      // The INIT reply that claimed io_uring is in: the kernel takes the queues now.
      if (uring?.pending) uring.start(poll, () => handler.servedElsewhere())
    }
    // io_uring's replies go with the command that fetches the next request: one buffer each.
    const pieceReplies: PieceReplies | undefined = uring
      ? undefined
      : { most: this.addon.maxReplyPieces, send: (pieces) => void (open && this.addon.replyPieces(poll, pieces)) }
    const backing = {
      open: (file: number) => (open ? this.addon.backingOpen(fd, file) : -Errno.ENOTCONN),
      close: (id: number) => void (open && this.addon.backingClose(fd, id)),
    }
    const descriptors = {
      serve: (fh: number, file: number) => this.addon.serveDescriptor(poll, fh, file),
      forget: (fh: number) => this.addon.forgetDescriptor(poll, fh),
    }
    // Requests over io_uring never pass the addon's reads, and --debug traces every request.
    const answeredInAddon = !options.debug && !uring
    let held = false
    const holding = (hold: () => void) => {
      held = true
      try {
        hold()
      } catch (error) {
        // Out of memory: the backend answers those reads itself.
        if (error instanceof TypeError) throw error
      }
    }
    const residentReads: ResidentReads | undefined = answeredInAddon
      ? {
          hold: (fh, offset, bytes, fileSize) => holding(() => this.addon.holdResident(poll, fh, offset, bytes, fileSize)),
          holdFile: (fh, offset, length, file, fileSize) => holding(() => this.addon.holdResidentFile(poll, fh, offset, length, file, fileSize)),
          release: (fh, offset) => this.addon.releaseResident(poll, fh, offset),
          // Every RELEASE asks: no call into the addon for a backend that never held anything.
          forget: (fh) => void (held && this.addon.forgetResident(poll, fh)),
        }
      : undefined
    const listingEnds: ListingEnds | undefined = answeredInAddon
      ? { mark: (nodeid, fh, offset, whole) => this.addon.markListingEnd(poll, nodeid, fh, offset, whole) }
      : undefined
    // Names the addon removed in directories the backend offered: read before any request reaches JavaScript.
    const removalLog = answeredInAddon && removals?.wanted ? new RemovalLog(removals, logger) : undefined
    // allow_root: the kernel lets everyone in; libfuse then turns away all but the mounter and root.
    const admitted = connection.allowRoot ? [process.geteuid?.() ?? 0, 0] : undefined
    const session = new KernelSession(send, handler, options, logger, { backing, descriptors, uring, resident: residentReads, listingEnds, pieceReplies }, admitted)
    // FORGETs the addon took, read after the names it removed (which came first) and before any request reaches JavaScript.
    const forgetLog = answeredInAddon ? new ForgetLog((nodeid, nlookup) => session.forget(nodeid, nlookup), logger) : undefined
    const readLogs = () => {
      if (removalLog?.pending) removalLog.read()
      if (forgetLog?.pending) forgetLog.read()
    }
    // Closing the last descriptor of /dev/fuse ends the connection: callers still waiting get ENOTCONN.
    const close = () => {
      if (!open) return
      open = false
      resident?.attach(undefined)
      removals?.attach(undefined)
      readLogs()
      uring?.close()
      this.addon.stop(poll)
      session.close()
      closeSync(fd)
    }
    // Requests are read into one buffer, reused while each is answered before the next.
    const requestSize = options.maxWrite + REQUEST_HEADROOM
    let requests: Buffer = Buffer.allocUnsafeSlow(requestSize)
    // Buffers a backend was lent and is done with: a new one per lent write would cost fresh
    // pages and, through V8's external-memory accounting, a full GC every few dozen MiB.
    const spareRequests: Buffer[] = []
    const giveBack = (buffer: Buffer) => {
      if (open && spareRequests.length < SPARE_REQUEST_BUFFERS) spareRequests.push(buffer)
    }
    // A request's length in `requests`, or -errno when the kernel ended the session (ENODEV: unmounted).
    const onRequest = (length: number): boolean => {
      if (length < 0) {
        close()
        kernelEnded = true
        endedByKernel()
        return false
      }
      readLogs()
      const lent = session.handle(requests, length)
      if (lent) {
        // Its bytes are lent to a backend that answers later: the next requests go elsewhere.
        const buffer = requests
        lent.then(
          () => giveBack(buffer),
          () => giveBack(buffer),
        )
        requests = spareRequests.pop() ?? Buffer.allocUnsafeSlow(requestSize)
        this.addon.replaceBuffer(poll, requests)
      }
      return true
    }
    // Requests the addon answers count as activity for a hot loop; without one nobody is told.
    const onServed = hotLoopMode(options) === 'off' ? null : () => handler.servedElsewhere()
    const poll = this.addon.poll(fd, requests, onRequest, onServed, options.followCallers)
    if (forgetLog) this.addon.logForgets(poll, forgetLog.bytes, readLogs)
    // A whole listing answers the next reading of its directory for half the time the kernel keeps
    // the dentries and attributes it gave: a replay gives none, and those the kernel has stay valid.
    if (answeredInAddon) this.addon.keepListings(poll, Math.floor((Math.min(options.entryTimeout, options.attrTimeout) * 1000) / 2))
    if (residentReads) resident?.attach(residentReads)
    if (removalLog) {
      this.addon.removeInDirectories(poll, removalLog.bytes)
      const [attrSeconds, attrNanoseconds] = splitSeconds(options.attrTimeout)
      removals?.attach({
        offer: (ino, fd) => this.addon.offerDirectory(poll, ino, fd),
        withdraw: (ino) => this.addon.withdrawDirectory(poll, ino),
        show: ({ uid, gid, umask }) => this.addon.showDirectoryAttributes(poll, attrSeconds, attrNanoseconds, uid ?? -1, gid ?? -1, umask),
      })
    }
    let unmounted: Promise<void> | undefined
    return {
      ended,
      // Throws when it was not mounted any more (unmounted from outside, not yet seen here); an
      // auto_unmount helper is let go either way.
      unmount: () =>
        (unmounted ??= (async () => {
          try {
            if (kernelEnded) connection.release()
            else connection.unmount()
          } finally {
            close()
          }
        })()),
    }
  }
}

function realPathOrSame(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path // the mount itself says what is wrong with it
  }
}
