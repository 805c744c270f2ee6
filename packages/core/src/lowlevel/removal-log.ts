import type { MountDirectoryRemovals } from '../directory-removals.js'
import type { Logger } from '../logger.js'
import { AddonLog } from './addon-log.js'
import { readU64 } from './protocol.js'

/** native/directory-removals.h's records: a u64 node id, a u32 length and the name, padded to 8. */
const RECORD_HEADER = 12
/** Room for some 2,000 names between two requests JavaScript handles; when full, UNLINK and RMDIR go to JavaScript. */
export const REMOVAL_LOG_BYTES = 64 * 1024

/** The names the addon removed (native/directory-removals.c): the backend hears of each (its listener). */
export class RemovalLog extends AddonLog {
  constructor(
    private readonly removals: MountDirectoryRemovals,
    logger: Logger,
  ) {
    super(REMOVAL_LOG_BYTES, logger)
  }

  protected after(at: number): number {
    return at + ((RECORD_HEADER + this.bytes.readUInt32LE(at + 8) + 7) & ~7)
  }

  // The name is gone from the source either way: the backend's bookkeeping of it is its own.
  protected handOver(at: number): void {
    this.removals.removed(readU64(this.bytes, at), this.nameAt(at))
  }

  protected describe(at: number): string {
    return `after removing ${this.nameAt(at)} in node ${readU64(this.bytes, at)}`
  }

  private nameAt(at: number): string {
    return this.bytes.toString('latin1', at + RECORD_HEADER, at + RECORD_HEADER + this.bytes.readUInt32LE(at + 8))
  }
}
