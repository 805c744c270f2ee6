/** Objects up to this size are remembered after their upload. */
const LARGEST_BODY = 256 * 1024
/** Memory for them all (the oldest go first). */
const DEFAULT_BUDGET = 32 * 1024 * 1024

/**
 * The bytes of small files this mount has just uploaded, by key and ETag: reading a file back
 * after writing it (`cp` then `diff`, a build reading what it wrote) costs no GET. An entry
 * answers only for the version it was uploaded as (the ETag the lookup gives the reader), so it
 * is exactly as fresh as the cached attributes (--stat-ttl) that name that version.
 */
export class RecentUploads {
  private readonly bodies = new Map<string, { etag: string; data: Buffer }>()
  private bytes = 0

  constructor(private readonly budget = DEFAULT_BUDGET) {}

  /** Keeps a copy of `data` as the object `key` at version `etag`, if it is small enough. */
  remember(key: string, etag: string, data: Buffer): void {
    this.forget(key)
    if (data.length > LARGEST_BODY || data.length > this.budget) return
    this.bodies.set(key, { etag, data: Buffer.from(data) })
    this.bytes += data.length
    for (const [oldest, { data: body }] of this.bodies) {
      if (this.bytes <= this.budget) break
      this.bodies.delete(oldest)
      this.bytes -= body.length
    }
  }

  /** The bytes of `key` at version `etag`, if they are here. */
  get(key: string, etag: string | undefined): Buffer | undefined {
    const entry = this.bodies.get(key)
    return entry && etag !== undefined && entry.etag === etag ? entry.data : undefined
  }

  forget(key: string): void {
    const entry = this.bodies.get(key)
    if (!entry) return
    this.bodies.delete(key)
    this.bytes -= entry.data.length
  }
}
