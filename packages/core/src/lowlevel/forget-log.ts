import type { Logger } from '../logger.js'
import { AddonLog } from './addon-log.js'
import { readU64 } from './protocol.js'

/** native/forget-log.h's records: a u64 node id and a u64 lookup count. */
const RECORD = 16
/** Room for 4,095 nodes between two reads; when full, FORGETs go to JavaScript one by one. */
export const FORGET_LOG_BYTES = 64 * 1024

/**
 * The FORGETs the addon took (native/forget-log.c), read also when the addon asks (20 ms after
 * the first was logged with no request since, or the log half full): the session gives back
 * each node's lookups. A FORGET is answered by nothing, so a failure
 * is only logged, as for one handed over alone.
 */
export class ForgetLog extends AddonLog {
  constructor(
    private readonly forget: (nodeid: number, nlookup: number) => void,
    logger: Logger,
  ) {
    super(FORGET_LOG_BYTES, logger)
  }

  protected after(at: number): number {
    return at + RECORD
  }

  protected handOver(at: number): void {
    this.forget(readU64(this.bytes, at), readU64(this.bytes, at + 8))
  }

  protected describe(at: number): string {
    return `forget of node ${readU64(this.bytes, at)}`
  }
}
