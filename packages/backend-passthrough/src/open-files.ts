import { closeSync } from 'node:fs'
import { FsError } from '@fusekit/core'
import { sys } from './syscall.js'

/**
 * File handles of open files: each maps to a real descriptor of the source file, so reads and
 * writes are positional calls on it, and an unlinked or renamed file stays reachable.
 * The handle is the descriptor plus one: unique while open, never 0 ("no handle").
 */
export class OpenFiles {
  private readonly fds = new Set<number>()

  add(fd: number): number {
    this.fds.add(fd)
    return fd + 1
  }

  fd(fh: number): number {
    const fd = fh - 1
    if (!this.fds.has(fd)) throw new FsError('EBADF', `no open file with handle ${fh}`)
    return fd
  }

  close(fh: number): void {
    const fd = this.fd(fh)
    this.fds.delete(fd)
    sys(() => closeSync(fd))
  }

  closeAll(): void {
    for (const fd of this.fds) closeSync(fd)
    this.fds.clear()
  }
}
