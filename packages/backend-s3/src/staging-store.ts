/** Where a staged file's bytes are: a file on disk (a FileHandle), or a buffer in memory. */
export interface StagingStore {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<unknown>
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>
  truncate(length: number): Promise<void>
  close(): Promise<void>
}

/**
 * A small new file's bytes in memory, zeros where nothing was written: creating, writing and
 * uploading it costs no system call (a file on disk costs an open, a write, a read and an
 * unlink, each a trip through Node's thread pool). Holds at most `capacity` bytes: the staging
 * moves a file that grows past it to disk (WriteStaging.spill).
 */
export class MemoryStore implements StagingStore {
  private data = Buffer.alloc(0)
  private length = 0

  constructor(readonly capacity: number) {}

  /** The bytes, as long as the file is. */
  contents(): Buffer {
    return this.data.subarray(0, this.length)
  }

  async write(buffer: Buffer, offset: number, length: number, position: number): Promise<void> {
    this.reserve(position + length)
    buffer.copy(this.data, position, offset, offset + length)
    this.length = Math.max(this.length, position + length)
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const bytesRead = Math.max(0, Math.min(length, this.length - position))
    this.data.copy(buffer, offset, position, position + bytesRead)
    return { bytesRead }
  }

  async truncate(length: number): Promise<void> {
    this.reserve(length)
    // What a later growth shows again must be zeros.
    if (length < this.length) this.data.fill(0, length, this.length)
    this.length = length
  }

  async close(): Promise<void> {
    this.data = Buffer.alloc(0)
    this.length = 0
  }

  private reserve(length: number): void {
    if (length > this.capacity) throw new RangeError(`a memory-staged file holds at most ${this.capacity} bytes`)
    if (length <= this.data.length) return
    const grown = Buffer.alloc(Math.min(this.capacity, Math.max(length, this.data.length * 2, 4096)))
    this.data.copy(grown)
    this.data = grown
  }
}
