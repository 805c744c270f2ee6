import { FsError } from '@fusekit/core'

/** The bytes a mount may hold (file data, symlink targets, xattrs); callers reserve before they mutate. */
export class Capacity {
  private usedBytes = 0

  constructor(readonly total: number) {}

  get used(): number {
    return this.usedBytes
  }

  get free(): number {
    return this.total - this.usedBytes
  }

  fits(bytes: number): boolean {
    return bytes <= this.total - this.usedBytes
  }

  /** Takes `bytes` or throws ENOSPC, changing nothing. */
  reserve(bytes: number): void {
    if (!this.fits(bytes)) throw new FsError('ENOSPC', `${bytes} more bytes do not fit: ${this.free} of ${this.total} free`)
    this.usedBytes += bytes
  }

  release(bytes: number): void {
    this.usedBytes -= bytes
  }
}
