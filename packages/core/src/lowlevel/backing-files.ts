import type { RequestHandler } from '../driver.js'
import { Errno } from '../errno.js'

/** /dev/fuse's registry of backing files (FUSE_DEV_IOC_BACKING_OPEN / _CLOSE). */
export interface BackingRegistry {
  /** Registers a real file; its id, or a negative errno. */
  open(fd: number): number
  close(id: number): void
}

/**
 * FUSE passthrough (Linux 6.9+): a handle with a real descriptor behind it is opened with that
 * file as its backing file, and the kernel reads and writes it itself, with no request to us.
 * The kernel takes one backing file per inode: every handle of a node shares the registration
 * made for the first, which lasts until the last is released (the opener looks the id up after
 * our reply, so it must outlive the reply).
 */
export class BackingFiles {
  private enabled = false
  private readonly byNode = new Map<number, { id: number; handles: number }>()

  constructor(
    private readonly registry: BackingRegistry | undefined,
    private readonly handler: RequestHandler,
  ) {}

  /** Whether to ask the kernel for passthrough at INIT. */
  get available(): boolean {
    return this.registry !== undefined
  }

  /** The kernel agreed at INIT. */
  enable(): void {
    this.enabled = true
  }

  /**
   * The backing id for a handle just opened on `nodeid`, or undefined when its I/O goes through
   * the backend. An O_DIRECT handle (`direct`) goes through the backend too, unless the node is
   * open for passthrough already: the kernel takes no other kind of handle then (EINVAL).
   */
  attach(nodeid: number, fh: number, direct = false): number | undefined {
    const shared = this.byNode.get(nodeid)
    if (shared) {
      shared.handles++
      return shared.id
    }
    if (direct || !this.enabled || this.registry === undefined) return undefined
    const fd = this.handler.backingFd(fh)
    if (fd === undefined) return undefined
    const id = this.registry.open(fd)
    if (id < 0) {
      // EPERM: not privileged enough (CAP_SYS_ADMIN); it will not change for this mount. Other
      // failures (ELOOP: the file is on a stacked filesystem) concern that file only.
      if (id === -Errno.EPERM) this.enabled = false
      return undefined
    }
    this.byNode.set(nodeid, { id, handles: 1 })
    return id
  }

  /** A handle of `nodeid` was released: the registration goes with the node's last one. */
  detach(nodeid: number): void {
    const shared = this.byNode.get(nodeid)
    if (!shared || --shared.handles > 0) return
    this.byNode.delete(nodeid)
    this.registry?.close(shared.id)
  }
}
