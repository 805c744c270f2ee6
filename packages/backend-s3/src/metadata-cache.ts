import type { Timespec } from '@fusekit/core'
import { S3ConfigError } from './config-error.js'
import type { ObjectAttributes } from './object-metadata.js'

export interface MetadataCacheOptions {
  /** How long attributes are trusted (default 60 s; 0: not cached). */
  statTtlMs?: number
  /** How long a directory listing is trusted (default 60 s). */
  listingTtlMs?: number
  /** How long "no such path" is trusted (default 10 s). */
  negativeTtlMs?: number
  /** Paths kept at most, positive and negative (default 1,000,000); also the most names listed. */
  maxEntries?: number
}

/** A cached stat with the object's version, when known. */
export interface CachedStat {
  attributes: ObjectAttributes
  etag: string | undefined
}

const EMPTY = 0
const PRESENT = 1
const MISSING = 2

/**
 * Attributes, negative answers and directory listings by path, with TTLs, for mounts of a
 * million objects: a path's record is one slot across typed arrays (about 70 bytes besides its
 * path string and its Map entry), no object or closure per entry. When full, the oldest slots
 * are reused first. Every local change must invalidate what it touches (invalidate,
 * invalidateTree): the cache never guesses.
 */
export class MetadataCache {
  private readonly statTtlMs: number
  private readonly listingTtlMs: number
  private readonly negativeTtlMs: number
  private readonly maxEntries: number
  private readonly slotOf = new Map<string, number>()
  private readonly listings = new Map<string, { names: string[]; expires: number }>()
  private listedNames = 0
  private capacity = 0
  private used = 0
  /** Next slot to reuse when full: the oldest ones, in turn. */
  private hand = 0
  private readonly freeSlots: number[] = []
  private paths: Array<string | undefined> = []
  private etags: Array<string | undefined> = []
  private kind = new Uint8Array(0)
  private mode = new Uint32Array(0)
  private uid = new Uint32Array(0)
  private gid = new Uint32Array(0)
  private size = new Float64Array(0)
  private expires = new Float64Array(0)
  // sec, nsec of mtime, ctime, atime
  private seconds = new Float64Array(0)
  private nanos = new Uint32Array(0)

  constructor(options: MetadataCacheOptions = {}) {
    this.statTtlMs = options.statTtlMs ?? 60_000
    this.listingTtlMs = options.listingTtlMs ?? 60_000
    this.negativeTtlMs = options.negativeTtlMs ?? 10_000
    this.maxEntries = options.maxEntries ?? 1_000_000
    if (!(this.maxEntries >= 1)) throw new S3ConfigError('maxEntries: at least 1')
    for (const [name, value] of Object.entries({ statTtlMs: this.statTtlMs, listingTtlMs: this.listingTtlMs, negativeTtlMs: this.negativeTtlMs })) {
      if (!(value >= 0)) throw new S3ConfigError(`${name}: 0 or more`)
    }
  }

  /** Paths held (positive and negative). */
  get entries(): number {
    return this.slotOf.size
  }

  /** The cached stat, null when the path is known not to exist, undefined when unknown or expired. */
  getStat(path: string, now = Date.now()): CachedStat | null | undefined {
    const slot = this.slotOf.get(path)
    if (slot === undefined) return undefined
    if (this.expires[slot]! <= now) {
      this.forget(path, slot)
      return undefined
    }
    if (this.kind[slot] === MISSING) return null
    const t = slot * 3
    const time = (i: number): Timespec => ({ sec: this.seconds[t + i]!, nsec: this.nanos[t + i]! })
    return {
      attributes: { mode: this.mode[slot]!, uid: this.uid[slot]!, gid: this.gid[slot]!, size: this.size[slot]!, mtime: time(0), ctime: time(1), atime: time(2) },
      etag: this.etags[slot],
    }
  }

  setStat(path: string, attributes: ObjectAttributes, etag?: string, now = Date.now()): void {
    if (this.statTtlMs === 0) return
    const slot = this.slotFor(path)
    this.kind[slot] = PRESENT
    this.expires[slot] = now + this.statTtlMs
    this.mode[slot] = attributes.mode
    this.uid[slot] = attributes.uid
    this.gid[slot] = attributes.gid
    this.size[slot] = attributes.size
    const t = slot * 3
    this.seconds[t] = attributes.mtime.sec
    this.nanos[t] = attributes.mtime.nsec
    this.seconds[t + 1] = attributes.ctime.sec
    this.nanos[t + 1] = attributes.ctime.nsec
    this.seconds[t + 2] = attributes.atime.sec
    this.nanos[t + 2] = attributes.atime.nsec
    this.etags[slot] = etag
  }

  /** Remembers that nothing is at `path` (a failed lookup). */
  setMissing(path: string, now = Date.now()): void {
    if (this.negativeTtlMs === 0) return
    const slot = this.slotFor(path)
    this.kind[slot] = MISSING
    this.expires[slot] = now + this.negativeTtlMs
    this.etags[slot] = undefined
  }

  /** The names in the directory, or undefined when not cached or expired. */
  getListing(dir: string, now = Date.now()): readonly string[] | undefined {
    const listing = this.listings.get(dir)
    if (!listing) return undefined
    if (listing.expires <= now) {
      this.dropListing(dir)
      return undefined
    }
    return listing.names
  }

  setListing(dir: string, names: string[], now = Date.now()): void {
    if (this.listingTtlMs === 0 || names.length > this.maxEntries) return
    this.dropListing(dir)
    this.listings.set(dir, { names, expires: now + this.listingTtlMs })
    this.listedNames += names.length
    // Oldest listings go first once the names pass the bound.
    for (const oldest of this.listings.keys()) {
      if (this.listedNames <= this.maxEntries) break
      this.dropListing(oldest)
    }
  }

  /**
   * Something changed at `path` (created, written, truncated, chmod, chown, utimens, deleted, a
   * rename's source or target): forgets its stat or negative entry, its listing, and its parent's.
   */
  invalidate(path: string): void {
    const slot = this.slotOf.get(path)
    if (slot !== undefined) this.forget(path, slot)
    this.dropListing(path)
    this.dropListing(parentOf(path))
  }

  /** A directory was renamed or removed: forgets it and everything cached beneath it (a full scan). */
  invalidateTree(path: string): void {
    this.invalidate(path)
    const prefix = path === '/' ? '/' : `${path}/`
    for (const [p, slot] of this.slotOf) if (p.startsWith(prefix)) this.forget(p, slot)
    for (const dir of [...this.listings.keys()]) if (dir.startsWith(prefix)) this.dropListing(dir)
  }

  clear(): void {
    for (const [path, slot] of this.slotOf) this.forget(path, slot)
    for (const dir of [...this.listings.keys()]) this.dropListing(dir)
  }

  private slotFor(path: string): number {
    const existing = this.slotOf.get(path)
    if (existing !== undefined) return existing
    let slot = this.freeSlots.pop()
    if (slot === undefined) {
      if (this.used === this.capacity && this.capacity < this.maxEntries) this.grow()
      if (this.used < this.capacity) {
        slot = this.used++
      } else {
        slot = this.hand
        this.hand = (this.hand + 1) % this.capacity
        this.forget(this.paths[slot]!, slot)
        this.freeSlots.pop()
      }
    }
    this.slotOf.set(path, slot)
    this.paths[slot] = path
    return slot
  }

  private forget(path: string, slot: number): void {
    this.slotOf.delete(path)
    this.paths[slot] = undefined
    this.etags[slot] = undefined
    this.kind[slot] = EMPTY
    this.freeSlots.push(slot)
  }

  private dropListing(dir: string): void {
    const listing = this.listings.get(dir)
    if (!listing) return
    this.listedNames -= listing.names.length
    this.listings.delete(dir)
  }

  private grow(): void {
    const capacity = Math.min(this.maxEntries, Math.max(1024, this.capacity * 2))
    const grown = <T extends Uint8Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T, per = 1): T => {
      const next = make(capacity * per)
      next.set(old)
      return next
    }
    this.kind = grown(this.kind, (n) => new Uint8Array(n))
    this.mode = grown(this.mode, (n) => new Uint32Array(n))
    this.uid = grown(this.uid, (n) => new Uint32Array(n))
    this.gid = grown(this.gid, (n) => new Uint32Array(n))
    this.size = grown(this.size, (n) => new Float64Array(n))
    this.expires = grown(this.expires, (n) => new Float64Array(n))
    this.seconds = grown(this.seconds, (n) => new Float64Array(n), 3)
    this.nanos = grown(this.nanos, (n) => new Uint32Array(n), 3)
    this.capacity = capacity
  }
}

/** "/a/b" → "/a", "/a" → "/". */
export function parentOf(path: string): string {
  const cut = path.lastIndexOf('/')
  return cut <= 0 ? '/' : path.slice(0, cut)
}
