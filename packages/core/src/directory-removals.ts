/** How an offered directory's attributes are shown: an owner and group instead of the source's, and permission bits cleared. */
export interface AttributeView {
  uid?: number
  gid?: number
  /** Permission bits (of 0o7777) cleared in the mode shown. */
  umask: number
}

/**
 * Directories whose entries the low-level driver may remove itself: an UNLINK or RMDIR of a name
 * in a directory the backend offered with a descriptor is answered by the driver's native code
 * with unlinkat(2) on that descriptor (its errno, if it fails), calling no JavaScript, and the
 * backend hears of every name so removed (`onRemoved`) before the driver hands it any other
 * request. Offer a directory only where unlink and rmdir are exactly that call plus what the
 * listener does (passthrough); withdraw it before its descriptor is closed. Names that are not
 * ASCII still reach the backend (the driver's UTF-8 check is JavaScript's). Where the driver
 * cannot (fuse-native, io_uring, the in-process tier, --debug), `available` is false.
 */
export interface DirectoryRemovals {
  /** Whether offers are taken on this mount (a listener must be set first). */
  readonly available: boolean
  /** UNLINK and RMDIR in directory `ino` may be answered with unlinkat on `fd`: keep it open until withdrawn. */
  offer(ino: number, fd: number): void
  /** Names in `ino` are removed by the backend again. */
  withdraw(ino: number): void
  /** What the backend does with each name the driver removed, `name` in directory `parent`. */
  onRemoved(listener: (parent: number, name: string) => void): void
  /**
   * The GETATTR of an offered directory is answered by the driver too: fstat of its descriptor,
   * shown through `view`, valid for the mount's attribute timeout. Only where getattr is exactly
   * that (passthrough); the GETATTR of a file handle still reaches the backend.
   */
  showAttributes(view: AttributeView): void
}

/** Where a driver removes names itself (the low-level driver's addon). */
export interface DirectoryUnlinks {
  offer(ino: number, fd: number): void
  withdraw(ino: number): void
  show(view: AttributeView): void
}

/**
 * The mount's DirectoryRemovals: made before the backend, so that the backend can take it at
 * create(), and joined to the driver once it mounts; until then and after the unmount, a no-op.
 */
export class MountDirectoryRemovals implements DirectoryRemovals {
  private unlinks: DirectoryUnlinks | undefined
  private listener: ((parent: number, name: string) => void) | undefined
  private view: AttributeView | undefined

  get available(): boolean {
    return this.unlinks !== undefined && this.listener !== undefined
  }

  /** The driver removes names from now on (undefined: no longer). */
  attach(unlinks: DirectoryUnlinks | undefined): void {
    this.unlinks = unlinks
    if (this.view && this.listener) unlinks?.show(this.view)
  }

  /** Whether a listener wants what the driver removes: without one, nothing is offered. */
  get wanted(): boolean {
    return this.listener !== undefined
  }

  offer(ino: number, fd: number): void {
    if (this.listener) this.unlinks?.offer(ino, fd)
  }

  withdraw(ino: number): void {
    this.unlinks?.withdraw(ino)
  }

  onRemoved(listener: (parent: number, name: string) => void): void {
    this.listener = listener
  }

  showAttributes(view: AttributeView): void {
    this.view = view
    if (this.listener) this.unlinks?.show(view)
  }

  /** The driver removed `name` from `parent`. */
  removed(parent: number, name: string): void {
    this.listener?.(parent, name)
  }
}
