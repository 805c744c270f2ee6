import { FsError, OpenFlags } from '@fusekit/core'
import type { Inode } from './inode.js'

/** Handles travel as 32-bit values, and 0 means "no handle". */
const MAX_HANDLE = 0xffff_ffff

/** One open of a file: what the kernel's file handle stands for. */
export class OpenFile {
  readonly readable: boolean
  readonly writable: boolean

  constructor(
    readonly inode: Inode,
    flags: number,
  ) {
    const access = flags & OpenFlags.O_ACCMODE
    this.readable = access !== OpenFlags.O_WRONLY
    this.writable = access !== OpenFlags.O_RDONLY
  }
}

/** Open files by handle number; a handle refers to its inode even after the inode's last name is gone. */
export class HandleTable {
  private readonly files = new Map<number, OpenFile>()
  private next = 1

  add(file: OpenFile): number {
    let fh = this.next
    while (this.files.has(fh)) fh = fh >= MAX_HANDLE ? 1 : fh + 1
    this.next = fh >= MAX_HANDLE ? 1 : fh + 1
    this.files.set(fh, file)
    file.inode.openCount++
    return fh
  }

  get(fh: number): OpenFile {
    const file = this.files.get(fh)
    if (file === undefined) throw new FsError('EBADF', `no open file with handle ${fh}`)
    return file
  }

  /** Forgets a handle; returns its file so the caller can free an inode nobody refers to. */
  remove(fh: number): OpenFile {
    const file = this.get(fh)
    this.files.delete(fh)
    file.inode.openCount--
    return file
  }
}
