import type { Logger } from '../logger.js'

/** Where an addon log's records start: after a u32 count of records and a u32 of bytes used (these 8 included). */
export const LOG_HEADER = 8

/**
 * A log the addon appends records to on Node's thread (native/directory-removals.h,
 * forget-log.h), read by JavaScript before it handles its next request: each record is handed
 * over in order (one that fails is logged, the next still handed over), and the log starts over.
 */
export abstract class AddonLog {
  readonly bytes: Buffer

  constructor(
    size: number,
    private readonly logger: Logger,
  ) {
    this.bytes = Buffer.alloc(size)
    this.bytes.writeUInt32LE(LOG_HEADER, 4)
  }

  /** Whether records were logged since the last read: one load, for every request. */
  get pending(): boolean {
    return this.bytes.readUInt32LE(0) !== 0
  }

  /** Hands over every record logged, then empties the log. */
  read(): void {
    const count = this.bytes.readUInt32LE(0)
    for (let i = 0, at = LOG_HEADER; i < count; i++, at = this.after(at)) {
      try {
        this.handOver(at)
      } catch (error) {
        this.logger.error(`${this.describe(at)}: ${(error as Error).message}`)
      }
    }
    this.bytes.writeUInt32LE(0, 0)
    this.bytes.writeUInt32LE(LOG_HEADER, 4)
  }

  /** Where the record after the one at `at` starts. */
  protected abstract after(at: number): number
  /** Hands the record at `at` to its listener. */
  protected abstract handOver(at: number): void
  /** What the record at `at` is, for a failure's message. */
  protected abstract describe(at: number): string
}
