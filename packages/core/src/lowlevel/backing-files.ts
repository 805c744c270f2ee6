import type { InodeHandler } from '../driver.js'
import { Errno } from '../errno.js'

/** /dev/fuse's registry of backing files (FUSE_DEV_IOC_BACKING_OPEN / _CLOSE). */
export interface BackingRegistry {
  /** Registers a real file; its id, or a negative errno. */
  open(fd: number): number
  close(id: number): void
}

/** The addon's own reads and writes on a handle's descriptor (native/descriptor-io.c). */
export interface DescriptorIo {
  /** From now on READ and WRITE of `fh` are answered from `fd`, without the backend. */
  serve(fh: number, fd: number): void
  /** Ends it; called before the backend closes the descriptor. */
  forget(fh: number): void
}

/** Who reads and writes a handle's descriptor. */
type Served = 'kernel' | 'addon'

/**
 * Handles with a real descriptor behind them (Operations.backingFd) are read and written without
 * a round trip through JavaScript:
 * - by the kernel itself (FUSE passthrough, Linux 6.9+): the handle is opened with that file as
 *   its backing file. The kernel takes one backing file per inode: every handle of a node shares
 *   the registration made for the first, which lasts until the last is released (the opener
 *   looks the id up after our reply, so it must outlive the reply);
 * - otherwise by the addon (`DescriptorIo`), with pread and pwrite on the descriptor: O_DIRECT
 *   handles (the kernel would do direct I/O on the source, bypassing its page cache), and every
 *   handle where passthrough is not available.
 */
export class BackingFiles {
  private enabled = false
  private readonly byNode = new Map<number, { id: number; handles: number }>()
  private readonly served = new Map<number, Served>()

  constructor(
    private readonly handler: InodeHandler,
    private readonly registry: BackingRegistry | undefined,
    private readonly descriptors: DescriptorIo | undefined,
  ) {}

  /** Whether to ask the kernel for passthrough at INIT: it can register files, and the backend has some. */
  get available(): boolean {
    return this.registry !== undefined && this.handler.hasBackingFiles
  }

  /** The kernel agreed at INIT. */
  enable(): void {
    this.enabled = true
  }

  /**
   * The backing id for a handle just opened on `nodeid`, or undefined when the kernel sends its
   * I/O to us. An O_DIRECT handle (`direct`) is not passed through unless the node is open for
   * passthrough already: the kernel takes no other kind of handle then (EINVAL).
   */
  attach(nodeid: number, fh: number, direct = false): number | undefined {
    const shared = this.byNode.get(nodeid)
    if (shared) {
      shared.handles++
      this.served.set(fh, 'kernel')
      return shared.id
    }
    // 0 is "no handle" (a backend without open): nothing to tell two handles apart by.
    const fd = fh === 0 || (this.registry === undefined && this.descriptors === undefined) ? undefined : this.handler.backingFd(fh)
    if (fd === undefined) return undefined
    if (!direct && this.enabled && this.registry) {
      const id = this.registry.open(fd)
      if (id >= 0) {
        this.byNode.set(nodeid, { id, handles: 1 })
        this.served.set(fh, 'kernel')
        return id
      }
      // EPERM: not privileged enough (CAP_SYS_ADMIN); it will not change for this mount. Other
      // failures (ELOOP: the file is on a stacked filesystem) concern that file only.
      if (id === -Errno.EPERM) this.enabled = false
    }
    if (this.descriptors && this.serveHere(fh, fd)) this.served.set(fh, 'addon')
    return undefined
  }

  /** False when the addon cannot take the handle (out of memory): the backend serves it then. */
  private serveHere(fh: number, fd: number): boolean {
    try {
      this.descriptors?.serve(fh, fd)
      return true
    } catch {
      return false
    }
  }

  /** Handle `fh` of `nodeid` is being released (before the backend closes its descriptor). */
  detach(nodeid: number, fh: number): void {
    const served = this.served.get(fh)
    this.served.delete(fh)
    if (served === 'addon') this.descriptors?.forget(fh)
    if (served !== 'kernel') return
    const shared = this.byNode.get(nodeid)
    if (!shared || --shared.handles > 0) return
    this.byNode.delete(nodeid)
    this.registry?.close(shared.id)
  }
}
