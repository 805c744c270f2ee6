import { errnoName } from '../errno.js'
import type { Logger } from '../logger.js'
import type { SessionAddon } from './session-addon.js'
import { possibleCpuCount, uringRefusal, uringSwitch } from './uring-availability.js'

/** Entries per kernel queue: requests one CPU's callers may have in flight at once. */
const QUEUE_DEPTH = 8

/**
 * FUSE over io_uring (`--io-uring`): requests arrive in ring entries instead of reads of
 * /dev/fuse, and each reply goes back with the command that fetches the next request. INIT
 * itself, FORGET, INTERRUPT and anything before the queues are up still come through /dev/fuse,
 * which keeps being read. Where the kernel or this process cannot have it, the mount stays on
 * /dev/fuse, saying why in one line.
 */
export class UringTransport {
  private ring: object | undefined
  private queues = 0
  private started = false
  private announced = false

  constructor(
    private readonly addon: SessionAddon,
    private readonly devFd: number,
    private readonly logger: Logger,
    private readonly onRequest: (request: Buffer) => void,
  ) {}

  /**
   * At INIT: whether to claim FUSE_OVER_IO_URING. The ring is made now, because once claimed the
   * kernel holds every request until the queues are registered.
   */
  accept(offered: boolean, payloadSize: number): boolean {
    if (!offered) return this.fallBack(uringRefusal(uringSwitch()))
    try {
      this.queues = possibleCpuCount()
      this.ring = this.addon.uringOpen(this.devFd, this.queues, QUEUE_DEPTH, payloadSize)
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException
      const hint = code === 'EPERM' ? ' (see /proc/sys/kernel/io_uring_disabled)' : ''
      return this.fallBack(`this process cannot have an io_uring: ${message}${hint}`)
    }
    return true
  }

  /** True between accept() and start(): the next reply sent is INIT's. */
  get pending(): boolean {
    return this.ring !== undefined && !this.started
  }

  /**
   * After the INIT reply went out: registers the queues. `session` is the /dev/fuse poll, whose
   * handles served from descriptors are answered in the addon here too (`onServed` after each batch).
   */
  start(session: object, onServed: () => void): void {
    this.started = true
    try {
      this.addon.uringStart(this.ring!, session, (request) => (typeof request === 'number' ? this.failed(-request) : this.received(request)), onServed)
    } catch (error) {
      // The kernel holds every request until the queues are up: only an unmount ends this.
      this.logger.error(`--io-uring: the queues could not be registered (${(error as Error).message}); requests wait until unmounted`)
    }
  }

  /** Sends a reply if its request came over the ring; false when it is /dev/fuse's to carry. */
  reply(reply: Buffer): boolean {
    return this.started && this.addon.uringReply(this.ring!, reply)
  }

  close(): void {
    if (this.ring) this.addon.uringStop(this.ring)
  }

  private received(request: Buffer): void {
    if (!this.announced) {
      this.announced = true
      this.logger.info(`requests arrive over io_uring (${this.queues} queues of ${QUEUE_DEPTH})`)
    }
    this.onRequest(request)
  }

  /** A ring command failed; a refused registration makes the kernel fall back to /dev/fuse itself. */
  private failed(errno: number): void {
    this.logger.warn(`--io-uring: the kernel refused a ring entry (${errnoName(errno)}); the requests it would have carried are read from /dev/fuse`)
  }

  private fallBack(reason: string): false {
    this.logger.warn(`--io-uring: ${reason}; requests are read from /dev/fuse`)
    return false
  }
}
