import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { BlockMap } from './block-map.js'

/** One object version's pieces on disk: a sparse file, and which of its blocks are whole in it. */
export class PieceFile {
  /** Bytes of whole blocks in it (counted against DiskPieces' limit). */
  bytes = 0

  constructor(
    readonly fd: number,
    readonly blocks: BlockMap,
  ) {}
}

/**
 * Pieces that random readers fetched, moved to local disk when the memory budget evicts them: a
 * random reader of an object larger than its share of --read-memory finds them again with a
 * pread (from the page cache, mostly) instead of a GET. One sparse file per object version being
 * read, in --cache-dir, unlinked as soon as it is made (nothing is left behind, even by a mount
 * that is killed); it goes when the version's last reader closes. At most `limit` bytes in all:
 * a piece that does not fit is dropped, as one that is not moved.
 *
 * Synchronous file calls: a piece is written while its memory is about to be reused, and a read
 * of 4 KiB from the page cache costs less than a trip through the thread pool.
 */
export class DiskPieces {
  private bytes = 0
  private made = 0
  private readonly open = new Set<PieceFile>()

  constructor(
    /** Where the files are made (--cache-dir, which exists: the write staging made it). */
    private readonly dir: string,
    readonly limit: number,
    /** What a block is: the random readers' piece size. */
    private readonly blockSize: number,
  ) {}

  /** Bytes of pieces on disk, in all files. */
  get used(): number {
    return this.bytes
  }

  /** A file for the pieces of one object; undefined when the disk refuses one. */
  create(): PieceFile | undefined {
    try {
      const path = join(this.dir, `.pieces-${process.pid}-${++this.made}`)
      const fd = openSync(path, 'wx+', 0o600)
      unlinkSync(path)
      const file = new PieceFile(fd, new BlockMap(this.blockSize))
      this.open.add(file)
      return file
    } catch {
      return undefined
    }
  }

  /**
   * Writes bytes [start, start + data.length) of an object of `size` bytes into `file`; returns
   * the blocks that are whole in it now and were not before (none when the piece does not fit or
   * the disk fails). Only whole blocks (or the object's last) count as present.
   */
  put(file: PieceFile, size: number, start: number, data: Buffer): number[] {
    if (this.bytes + data.length > this.limit) return []
    try {
      let written = 0
      while (written < data.length) written += writeSync(file.fd, data, written, data.length - written, start + written)
    } catch {
      return []
    }
    const end = start + data.length
    const added: number[] = []
    const last = end === size ? Math.ceil(end / this.blockSize) : Math.floor(end / this.blockSize)
    for (let block = Math.ceil(start / this.blockSize); block < last; block++) {
      const [at, bytes] = this.bytesOf(block, size)
      if (file.blocks.mark(at, at + bytes, false) === 0) continue
      file.bytes += bytes
      this.bytes += bytes
      added.push(block)
    }
    return added
  }

  /** Where block `block` of an object of `size` bytes starts, and its length. */
  bytesOf(block: number, size: number): [number, number] {
    const start = block * this.blockSize
    return [start, Math.min(size, start + this.blockSize) - start]
  }

  /** Copies bytes [start, end) into `buffer` when all of them are in the file; false otherwise (the caller fetches them). */
  read(file: PieceFile, buffer: Buffer, start: number, end: number): boolean {
    for (let block = Math.floor(start / this.blockSize), last = Math.floor((end - 1) / this.blockSize); block <= last; block++) {
      if (!file.blocks.isHeld(block)) return false
    }
    try {
      for (let at = start; at < end; ) {
        const n = readSync(file.fd, buffer, at - start, end - at, at)
        if (n === 0) return false
        at += n
      }
      return true
    } catch {
      return false
    }
  }

  /** Closes the file, which frees its space (its object's last reader closed). */
  remove(file: PieceFile): void {
    if (!this.open.delete(file)) return
    this.bytes -= file.bytes
    closeSync(file.fd)
  }

  /** Closes every file (the unmount). */
  destroy(): void {
    for (const file of this.open) this.remove(file)
  }
}
