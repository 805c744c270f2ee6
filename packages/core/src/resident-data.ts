/**
 * Bytes of open files that a backend holds in memory (or in a local file), offered to the driver
 * so that it answers reads of them itself: the low-level driver answers a random read (one that does not follow the
 * handle's last read) whose bytes are all held, in its native code, without calling the backend.
 * Reads that follow each other still reach the backend, whose read-ahead needs to see them.
 *
 * The backend keeps what it holds true: it releases bytes before their memory is reused or stops
 * being what the file contains (a write, a truncate, a newer version), and every byte it holds
 * must be what its own read would answer. The driver forgets a handle's bytes when the kernel
 * releases the handle. Where the driver cannot answer reads itself (fuse-native, io_uring, the
 * in-process tier, --debug, which traces every read), `available` is false and nothing is kept.
 */
export interface ResidentData {
  /** Whether held bytes are answered from on this mount: when false, hold() is not worth calling. */
  readonly available: boolean
  /** Reads of handle `fh` within [offset, offset + bytes.length) may be answered from `bytes`; the file ends at `fileSize`. */
  hold(fh: number, offset: number, bytes: Buffer, fileSize: number): void
  /**
   * Reads of handle `fh` within [offset, offset + length) may be answered by reading descriptor
   * `fd` at the same offsets (a local copy of those bytes): keep it open, and those bytes as they
   * are, until they are released.
   */
  holdFile(fh: number, offset: number, length: number, fd: number, fileSize: number): void
  /** The bytes held at `offset` for `fh` are answered from no more (call it before reusing their memory, or closing their file). */
  release(fh: number, offset: number): void
  /** None of `fh`'s bytes are answered from any more. */
  forget(fh: number): void
}

/** Where a driver answers reads from held bytes (the low-level driver's addon). */
export type ResidentReads = Omit<ResidentData, 'available'>

/**
 * The mount's ResidentData: made before the backend, so that the backend can take it at create(),
 * and joined to the driver once it mounts; until then and after the unmount, a no-op.
 */
export class MountResidentData implements ResidentData {
  private reads: ResidentReads | undefined

  get available(): boolean {
    return this.reads !== undefined
  }

  /** The driver answers reads from now on (undefined: no longer). */
  attach(reads: ResidentReads | undefined): void {
    this.reads = reads
  }

  hold(fh: number, offset: number, bytes: Buffer, fileSize: number): void {
    this.reads?.hold(fh, offset, bytes, fileSize)
  }

  holdFile(fh: number, offset: number, length: number, fd: number, fileSize: number): void {
    this.reads?.holdFile(fh, offset, length, fd, fileSize)
  }

  release(fh: number, offset: number): void {
    this.reads?.release(fh, offset)
  }

  forget(fh: number): void {
    this.reads?.forget(fh)
  }
}
