/** Keys per DeleteObjects request (S3 takes up to 1,000): a server deletes a batch's keys one after another, so several smaller batches at once finish sooner. */
const BATCH_KEYS = 100
/** Batches in flight at once. */
const CONCURRENT_BATCHES = 2
/** How long the first key of a batch waits for others (an `rm -rf` sends its unlinks well within it). */
const GATHER_MS = 20
/** Keys deleted are remembered this long: a listing asked before their deletion went through may still show them (longer than any call's deadline). */
const REMEMBER_MS = 60_000

/** After a failed batch, the next attempt waits this long, doubling up to the most. */
const RETRY_FIRST_MS = 500
const RETRY_MOST_MS = 10_000

/** Sends one batch; returns the keys the server refused, with its code. Throws when the request itself failed. */
export type SendDeletes = (keys: string[]) => Promise<Array<{ key: string; code: string }>>

/**
 * Deletes acknowledged at once and sent in batches (DeleteObjects, up to 100 keys a request, eight
 * requests at a time): a tool that unlinks file after file (`rm -rf`) waits for no request, and
 * 10,000 unlinks cost about 100 requests instead of 10,000. (Ceph RGW deletes a batch's keys
 * one after the other, about 1 ms each: eight batches of 100 at once took half the time of two
 * of 1,000 in a row.) From `add` on, the key is gone for the mount (the store answers as
 * if it were: no HEAD, GET or listing shows it); a write to it, a directory rename and the
 * unmount first wait until its deletion has reached S3 (`settle`). A batch that fails as a whole is tried again (backoff); a key the server refuses
 * (AccessDenied) is given up on and reported: the object is then still in the bucket.
 */
export class DeferredDeletes {
  /** Waiting for a batch. */
  private readonly queued = new Set<string>()
  /** In a batch in flight. */
  private readonly sending = new Set<string>()
  /** Deleted in S3, with the time: a listing older than that may still show them. In the order deleted. */
  private readonly deleted = new Map<string, number>()
  private readonly inFlight = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private failures = 0
  private lastError: unknown

  constructor(
    private readonly send: SendDeletes,
    /** Told of keys refused and of batches that failed (once per run of failures). */
    private readonly onProblem: (message: string) => void = () => {},
  ) {}

  /** Keys not deleted in S3 yet. */
  get pending(): number {
    return this.queued.size + this.sending.size
  }

  /** Whether `key` is deleted for the mount but perhaps not yet in S3. */
  has(key: string): boolean {
    return this.queued.has(key) || this.sending.has(key)
  }

  /**
   * What a listing asked for now must leave out when its answer comes: keys pending then, and
   * keys whose deletion went through while it was under way (its answer may predate that).
   */
  listingFilter(): (key: string) => boolean {
    const askedAt = Date.now()
    this.forgetOld(askedAt)
    return (key) => this.has(key) || (this.deleted.get(key) ?? -1) >= askedAt
  }

  /** `key` is about to be written: waits until a deletion of it pending has reached S3. */
  beforeWrite(key: string): Promise<void> | undefined {
    this.deleted.delete(key)
    return this.has(key) ? this.settle((k) => k === key) : undefined
  }

  add(key: string): void {
    this.queued.add(key)
    this.schedule(this.queued.size >= BATCH_KEYS ? 0 : GATHER_MS)
  }

  /**
   * Resolves once every pending key that `matches` is deleted in S3 (or refused); rejects with
   * the error of a batch that failed while one of them was in it.
   */
  async settle(matches: (key: string) => boolean): Promise<void> {
    for (;;) {
      const waiting = this.matching(matches)
      if (!waiting) return
      if (waiting === 'queued') this.startBatch(matches)
      const failuresBefore = this.failures
      await Promise.all(this.inFlight)
      if (this.failures > failuresBefore && this.matching(matches)) throw this.lastError
    }
  }

  /** Sends everything pending (unmount); rejects if a batch fails. */
  flush(): Promise<void> {
    return this.settle(() => true)
  }

  private matching(matches: (key: string) => boolean): 'queued' | 'sending' | undefined {
    for (const key of this.sending) if (matches(key)) return 'sending'
    for (const key of this.queued) if (matches(key)) return 'queued'
    return undefined
  }

  private forgetOld(now: number): void {
    for (const [key, at] of this.deleted) {
      if (at > now - REMEMBER_MS) break
      this.deleted.delete(key)
    }
  }

  private schedule(delayMs: number): void {
    if (this.inFlight.size >= CONCURRENT_BATCHES) return
    if (this.timer && delayMs > 0) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.startBatch(), delayMs)
    this.timer.unref()
  }

  /** Sends queued keys in as many batches as may be in flight, those that `first` matches ahead of the others. */
  private startBatch(first?: (key: string) => boolean): void {
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.inFlight.size < CONCURRENT_BATCHES && this.queued.size > 0) {
      const keys: string[] = []
      if (first) for (const key of this.queued) if (keys.length < BATCH_KEYS && first(key)) keys.push(key)
      for (const key of this.queued) if (keys.length < BATCH_KEYS && !(first && first(key))) keys.push(key)
      for (const key of keys) {
        this.queued.delete(key)
        this.sending.add(key)
      }
      const batch: Promise<void> = this.sendBatch(keys).finally(() => {
        this.inFlight.delete(batch)
        if (this.queued.size > 0) this.schedule(this.failures > 0 ? Math.min(RETRY_MOST_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1)) : 0)
      })
      this.inFlight.add(batch)
    }
  }

  private async sendBatch(keys: string[]): Promise<void> {
    try {
      const refused = await this.send(keys)
      const now = Date.now()
      for (const key of keys) {
        this.deleted.delete(key)
        this.deleted.set(key, now)
      }
      for (const { key, code } of refused) this.onProblem(`s3: deleting ${key} was refused (${code}): the object is still in the bucket`)
      if (this.failures > 0) this.onProblem(`s3: deletions go through again`)
      this.failures = 0
    } catch (error) {
      // Back in the queue (ahead of nothing: order does not matter), tried again after a pause.
      for (const key of keys) this.queued.add(key)
      if (this.failures === 0) this.onProblem(`s3: deleting ${keys.length} objects failed (${(error as Error).message}); tried again`)
      this.failures++
      this.lastError = error
    } finally {
      for (const key of keys) this.sending.delete(key)
    }
  }
}
