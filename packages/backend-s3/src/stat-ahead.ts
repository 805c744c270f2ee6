import type { ListingNames } from './metadata-cache.js'

/** Two lookups missing the cache in one listed directory within this time start a stat-ahead. */
const TRIGGER_WINDOW_MS = 1000

/**
 * Stats the entries of a listed directory ahead of a reader going through them (`ls -l`, `find`,
 * `du`): each lookup of an uncached entry costs a HEAD, and such tools make them one at a time.
 * The second lookup that misses the cache in the same directory within a second starts HEADs of
 * the other entries, `concurrency` at a time, in listing order from that entry on; the reader's
 * own lookups then find them cached or in flight. One directory at a time: a stat-ahead in
 * another directory ends the previous one.
 */
export class StatAhead {
  private dir: string | undefined
  private names: ListingNames | undefined
  private lastMissAt = 0
  /** The running stat-ahead's queue of child names; emptied to stop it. */
  private queue: string[] = []

  constructor(
    /** Looks a path up (and caches it); failures are the reader's business when it gets there. */
    private readonly prefetch: (path: string, kind: 'file' | 'dir') => Promise<unknown>,
    private readonly concurrency: number,
  ) {}

  /** A lookup of `name` in `dir`, listed as `names`, missed the cache. */
  missed(dir: string, names: ListingNames, name: string): void {
    const now = Date.now()
    const sameListing = this.dir === dir && this.names === names
    const triggered = sameListing && now - this.lastMissAt <= TRIGGER_WINDOW_MS
    this.lastMissAt = now
    if (!sameListing) {
      this.dir = dir
      this.names = names
      this.queue = []
    }
    if (!triggered || this.queue.length > 0) return
    const order = [...names]
    const at = Math.max(0, order.indexOf(name), order.indexOf(`${name}/`))
    this.queue = [...order.slice(at + 1), ...order.slice(0, at)]
    const queue = this.queue
    const base = dir === '/' ? '/' : `${dir}/`
    const worker = async () => {
      // Stops when the queue is replaced by another directory's.
      while (this.queue === queue && queue.length > 0) {
        const entry = queue.shift()!
        const isDir = entry.endsWith('/')
        await this.prefetch(base + (isDir ? entry.slice(0, -1) : entry), isDir ? 'dir' : 'file').catch(() => undefined)
      }
    }
    for (let i = 0; i < this.concurrency; i++) void worker()
  }
}
