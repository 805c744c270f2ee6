import type { Logger } from '../logger.js'
import { readU64 } from './protocol.js'

/** native/forget-log.h's log: a u32 count and 4 bytes unused, then a u64 node id and a u64 lookup count per record. */
const HEADER = 8
const RECORD = 16
/** Room for 4,095 nodes between two reads; when full, FORGETs go to JavaScript one by one. */
export const FORGET_LOG_BYTES = 64 * 1024

/**
 * The FORGETs the addon took (native/forget-log.c), read before JavaScript handles its next
 * request and after each wake-up that logged some: the session hears of each, in order, and the
 * log starts over.
 */
export class ForgetLog {
  readonly bytes = Buffer.alloc(FORGET_LOG_BYTES)

  constructor(
    private readonly forget: (nodeid: number, nlookup: number) => void,
    private readonly logger: Logger,
  ) {}

  /** Whether FORGETs were logged since the last read: one load, for every request. */
  get pending(): boolean {
    return this.bytes.readUInt32LE(0) !== 0
  }

  /** Gives back every lookup logged, then empties the log. */
  read(): void {
    const count = this.bytes.readUInt32LE(0)
    for (let at = HEADER; at < HEADER + count * RECORD; at += RECORD) {
      const nodeid = readU64(this.bytes, at)
      try {
        this.forget(nodeid, readU64(this.bytes, at + 8))
      } catch (error) {
        // As for a FORGET handed over alone: the kernel expects no answer, so the log is all.
        this.logger.error(`forget of node ${nodeid}: ${(error as Error).message}`)
      }
    }
    this.bytes.writeUInt32LE(0, 0)
  }
}
