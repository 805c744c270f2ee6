import type { MountDirectoryRemovals } from '../directory-removals.js'
import type { Logger } from '../logger.js'
import { readU64 } from './protocol.js'

/** native/directory-removals.h's log: a u32 count and the u32 bytes used, then records of a u64 node id, a u32 length and the name, padded to 8. */
const HEADER = 8
const RECORD_HEADER = 12
/** Room for some 2,000 names between two requests JavaScript handles; when full, UNLINK and RMDIR go to JavaScript. */
export const REMOVAL_LOG_BYTES = 64 * 1024

/**
 * The names the addon removed (native/directory-removals.c), read before JavaScript handles its
 * next request: the backend hears of each (its listener), in order, and the log starts over.
 */
export class RemovalLog {
  readonly bytes = Buffer.alloc(REMOVAL_LOG_BYTES)

  constructor(
    private readonly removals: MountDirectoryRemovals,
    private readonly logger: Logger,
  ) {}

  /** Whether names were logged since the last read: one load, for every request. */
  get pending(): boolean {
    return this.bytes.readUInt32LE(0) !== 0
  }

  /** Tells the backend of every name logged, then empties the log. */
  read(): void {
    const count = this.bytes.readUInt32LE(0)
    let at = HEADER
    for (let i = 0; i < count; i++) {
      const parent = readU64(this.bytes, at)
      const length = this.bytes.readUInt32LE(at + 8)
      const name = this.bytes.toString('latin1', at + RECORD_HEADER, at + RECORD_HEADER + length)
      at += (RECORD_HEADER + length + 7) & ~7
      try {
        this.removals.removed(parent, name)
      } catch (error) {
        // The name is gone from the source either way: the backend's bookkeeping of it is its own.
        this.logger.error(`after removing ${name} in node ${parent}: ${(error as Error).message}`)
      }
    }
    this.bytes.writeUInt32LE(0, 0)
    this.bytes.writeUInt32LE(HEADER, 4)
  }
}
