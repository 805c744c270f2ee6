import { closeSync } from 'node:fs'
import { FsError } from '@fusekit/core'
import { sys } from './syscall.js'

interface OpenFile {
  fd: number
  /** Calls on the thread pool that have not finished. */
  busy: number
  /** Set while release waits for them. */
  whenIdle?: () => void
  /**
   * Its writes must clear set-id bits first (source-set-id.ts): 'pending' until its first write
   * has, then 'done'. Such a handle's writes reach the backend: it has no backing descriptor.
   */
  setIdClearing?: 'pending' | 'done'
}

/**
 * File handles of open files: each maps to a real descriptor of the source file, so reads and
 * writes are positional calls on it, and an unlinked or renamed file stays reachable.
 * The handle is the descriptor plus one: unique while open, never 0 ("no handle").
 */
export class OpenFiles {
  private readonly files = new Map<number, OpenFile>()

  /** `writesClearSetId`: its writes must clear set-id bits first. */
  add(fd: number, writesClearSetId = false): number {
    this.files.set(fd + 1, { fd, busy: 0, setIdClearing: writesClearSetId ? 'pending' : undefined })
    return fd + 1
  }

  /** The descriptor, for calls that finish before anything else runs (synchronous ones). */
  fd(fh: number): number {
    return this.get(fh).fd
  }

  /** The descriptor the kernel or the driver may read and write without the backend: none while writes clear set-id bits. */
  backingFd(fh: number): number | undefined {
    const file = this.get(fh)
    return file.setIdClearing ? undefined : file.fd
  }

  /** Whether this is the first write through a handle whose writes clear set-id bits (true once). */
  takeSetIdClearing(fh: number): boolean {
    const file = this.get(fh)
    if (file.setIdClearing !== 'pending') return false
    file.setIdClearing = 'done'
    return true
  }

  /**
   * Runs an asynchronous call on the descriptor. Release waits for it: a call still queued in the
   * thread pool (behind a stuck disk, after its request timed out) must not find the descriptor
   * number closed and reused by another file.
   */
  async use<T>(fh: number, call: (fd: number) => Promise<T>): Promise<T> {
    const file = this.get(fh)
    file.busy++
    try {
      return await call(file.fd)
    } finally {
      if (--file.busy === 0) file.whenIdle?.()
    }
  }

  /** Closes the handle at once, or once the asynchronous calls using it end (a Promise then). */
  close(fh: number): void | Promise<void> {
    const file = this.get(fh)
    this.files.delete(fh)
    const closeFd = () => sys(() => closeSync(file.fd))
    if (file.busy === 0) return closeFd()
    return new Promise<void>((resolve) => (file.whenIdle = resolve)).then(closeFd)
  }

  closeAll(): void {
    for (const { fd } of this.files.values()) closeSync(fd)
    this.files.clear()
  }

  private get(fh: number): OpenFile {
    const file = this.files.get(fh)
    if (file === undefined) throw new FsError('EBADF', `no open file with handle ${fh}`)
    return file
  }
}
