import { loadAddon } from '@fusekit/native-addon'
import { FsError } from '../errno.js'

/** What fusermountMount reports. */
export interface FusermountResult {
  /** The /dev/fuse descriptor, or -1 when fusermount failed. */
  fd: number
  /** The auto_unmount helper still running (0 when none), and our end of its socket. */
  pid: number
  socket: number
  /** Exit status (-1 when killed by `signal`). */
  status: number
  signal: number
  timedOut: boolean
  /** What fusermount printed (stdout and stderr). */
  output: string
  /** The errno whose description ends a line of `output`, or 0. */
  errno: number
}

/** The low-level driver's native half (native/fuse-session.c and the files beside it; binding.gyp). */
export interface SessionAddon {
  /** mount(2) of /dev/fuse: the descriptor. `data` gets "fd=N," prepended. */
  kernelMount(mountpoint: string, source: string, type: string, flags: number, data: string): number
  /** umount2 with MNT_DETACH. */
  unmount(mountpoint: string): void
  fusermountMount(path: string, options: string, mountpoint: string, timeoutMs: number, keepHelper: boolean): FusermountResult
  releaseHelper(pid: number, socket: number, timeoutMs: number): number
  /**
   * Reads requests into `buffer`: `onRequest` gets each one's length, or -errno when the session
   * ended, and returns false to stop reading (the session is closed). After a request answered
   * (a reply written), the addon reads on while that has been finding requests. `onServed` (null: not told): after a
   * batch of requests answered in the addon (serveDescriptor's handles, resident bytes).
   * `followCallers`: keep this thread on its callers' vCPU (native/caller-cpu.h).
   */
  poll(fd: number, buffer: Buffer, onRequest: (length: number) => boolean, onServed: (() => void) | null, followCallers: boolean): object
  /** Later requests are read into `buffer` (as long as poll's). */
  replaceBuffer(handle: object, buffer: Buffer): void
  stop(handle: object): void
  serveDescriptor(handle: object, fh: number, fd: number): void
  forgetDescriptor(handle: object, fh: number): void
  /** Random reads of `fh` within `bytes` at `offset` are answered from them (native/resident-reads.c); throws on ENOMEM. */
  holdResident(handle: object, fh: number, offset: number, bytes: Buffer, fileSize: number): void
  holdResidentFile(handle: object, fh: number, offset: number, length: number, fd: number, fileSize: number): void
  releaseResident(handle: object, fh: number, offset: number): void
  forgetResident(handle: object, fh: number): void
  /**
   * The listing of `nodeid` read through `fh` ends at `offset`: a READDIR there is answered empty
   * by the addon (native/listing-ends.h). `whole`: the READDIRPLUS entries of the reply that
   * listed it all from offset 0, kept to answer the next such read (native/listing-replays.h).
   */
  markListingEnd(handle: object, nodeid: number, fh: number, offset: number, whole?: Buffer): void
  /** Whole listings marked from now on answer the next READDIRPLUS from offset 0 of their directory for `withinMs` (0: none kept). */
  keepListings(handle: object, withinMs: number): void
  /** FORGET and BATCH_FORGET are written to `log` from now on (native/forget-log.h), `onLogged` called when no request came to read it soon enough (fuse-session.c). */
  logForgets(handle: object, log: Buffer, onLogged: () => void): void
  /** UNLINK and RMDIR in offered directories are answered by the addon from now on, each name removed written to `log` (native/directory-removals.h). */
  removeInDirectories(handle: object, log: Buffer): void
  offerDirectory(handle: object, nodeid: number, fd: number): void
  withdrawDirectory(handle: object, nodeid: number): void
  /** GETATTR of an offered directory is answered by the addon from now on (native/directory-removals.h); uid, gid -1: the source's. */
  showDirectoryAttributes(handle: object, attrSeconds: number, attrNanoseconds: number, uid: number, gid: number, umask: number): void
  /** napi_adjust_external_memory: V8's count of external memory changed by `delta` bytes; the new total. */
  adjustExternalMemory(delta: number): number
  /** madvise(MADV_POPULATE_WRITE) over `buffer`'s pages: 0, or a negative errno (nothing changed). */
  populate(buffer: Buffer): number
  /** madvise(MADV_DONTNEED) over the pages wholly inside `buffer`: 0, or a negative errno. */
  dropPages(buffer: Buffer): number
  /**
   * Writes one answer to /dev/fuse: to the session's descriptor, or for a request one of its
   * helper threads read (they read instead of this thread once random reads answered in the
   * addon come fast) to the clone it came from. 0, or a negative errno (ENOENT: interrupted;
   * ENODEV: unmounted).
   */
  reply(handle: object, reply: Buffer): number
  /**
   * As reply, for an answer the thread has work to do right after (a listing read ahead):
   * written at the thread's own scheduling policy, so that the caller wakes elsewhere.
   */
  replyBusy(handle: object, reply: Buffer): number
  /** Writes one answer made of `pieces` in order (writev), as reply does: at most maxReplyPieces of them. */
  replyPieces(handle: object, pieces: readonly Buffer[]): number
  /** The most pieces replyPieces takes. */
  readonly maxReplyPieces: number
  /** FUSE passthrough's backing files; a negative errno on failure. */
  backingOpen(devFd: number, fd: number): number
  backingClose(devFd: number, id: number): number
  /**
   * FUSE over io_uring (native/fuse-uring.c): the ring and the buffers of `queues` × `depth`
   * entries, made before the INIT reply claims it. Throws the errno of io_uring_setup.
   */
  uringOpen(devFd: number, queues: number, depth: number, payloadSize: number): object
  /**
   * After the INIT reply: registers every entry; `onRequest` gets each request, or -errno when a
   * command failed. Reads and writes of the handles `session` (poll's) serves from descriptors are
   * answered in the addon, `onServed` told after each batch of them.
   */
  uringStart(handle: object, session: object, onRequest: (request: Buffer | number) => void, onServed: () => void): void
  /** Answers a request that came over the ring; false when `reply` is for one read from /dev/fuse. */
  uringReply(handle: object, reply: Buffer): boolean
  uringStop(handle: object): void
}

// The package root, from src/lowlevel (tests) and dist/lowlevel alike.
const PACKAGE_ROOT = new URL('../../', import.meta.url)
let addon: SessionAddon | undefined

/** Loads the addon once; an FsError that says how to build it when it is missing or stale. */
export function sessionAddon(): SessionAddon {
  try {
    addon ??= loadAddon<SessionAddon>(PACKAGE_ROOT, 'fuse-session')
  } catch (error) {
    throw new FsError('ENOSYS', `the low-level FUSE driver cannot start: ${(error as Error).message}`, { cause: error })
  }
  if (typeof addon.dropPages !== 'function') {
    throw new FsError('ENOSYS', 'the fuse-session addon of @fusekit/core is older than its JavaScript: run pnpm build in packages/core')
  }
  return addon
}
