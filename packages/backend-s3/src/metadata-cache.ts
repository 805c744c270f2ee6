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
  /** Paths kept at most, positive and negative (default 100,000); also the most names listed. */
  maxEntries?: number
}

/** A cached stat with the object's version and, for a symlink, its target, when known. */
export interface CachedStat {
  attributes: ObjectAttributes
  etag: string | undefined
  linkTarget: string | undefined
  /** The object's metadata is its attributes only, its content type the default: written by this mount. */
  plain: boolean
}

/** What else setStat may know besides the attributes. */
export interface StatExtras {
  etag?: string
  linkTarget?: string
  plain?: boolean
}

/**
 * A directory's names. A subdirectory's name ends with "/" ("sub/"), so that one set tells files
 * from directories without a stat per entry.
 */
export type ListingNames = ReadonlySet<string>

export const DEFAULT_STAT_TTL_MS = 60_000
export const DEFAULT_LISTING_TTL_MS = 60_000
export const DEFAULT_NEGATIVE_TTL_MS = 10_000
export const DEFAULT_MAX_ENTRIES = 100_000

/**
 * Slot states: free, known only by its inode number, present with attributes, known missing,
 * and stale: present once, its TTL passed, its attributes kept until a listing shows the same
 * version (revalidate) or a lookup replaces them.
 */
const FREE = 0
const UNKNOWN = 1
const PRESENT = 2
const MISSING = 3
const STALE = 4

/** The inode number of the root; others count up from it. */
export const ROOT_INODE = 1

/**
 * Attributes, negative answers, directory listings and inode numbers by path, with TTLs, for
 * mounts of a million objects: a path's record is one slot across typed arrays (about 80 bytes
 * besides its path string and its Map entry), no object or closure per entry. When full, the
 * oldest slots are reused first.
 *
 * A slot outlives its TTL, keeping the path's inode number: a file keeps its st_ino while it
 * stays among the `maxEntries` paths known, also across a rename (`move`). Local changes are
 * either written in (setStat, addToListing, ...) or forgotten (invalidate): the cache holds
 * what was read from S3 or done through this mount, never a guess.
 *
 * An expired stat can be made fresh again, once, by a listing that shows the object with the
 * same ETag and size (revalidate): one LIST instead of a HEAD per entry for `ls -l`, `find` or
 * `rm -rf` of a directory whose stats expired. A listing does not show metadata: a chmod made
 * elsewhere by copying the object onto itself (same ETag) can go unseen for one more TTL.
 * Expired listings are kept too (staleListing), for the lookup to refresh them in one go.
 */
export class MetadataCache {
  private readonly statTtlMs: number
  private readonly listingTtlMs: number
  private readonly negativeTtlMs: number
  private readonly maxEntries: number
  private readonly slotOf = new Map<string, number>()
  private readonly listings = new Map<string, { names: Set<string>; expires: number; subdirectories: number }>()
  private listedNames = 0
  private capacity = 0
  private used = 0
  private nextInode = ROOT_INODE + 1
  /** Next slot to reuse when full: the oldest ones, in turn. */
  private hand = 0
  private readonly freeSlots: number[] = []
  private paths: Array<string | undefined> = []
  // Strings only some slots have (versions, symlink targets): sparse arrays.
  private etags: Array<string | undefined> = []
  private targets: Array<string | undefined> = []
  private kind = new Uint8Array(0)
  private plain = new Uint8Array(0)
  /** 1 once a listing made the stat fresh again: the next expiry needs a real lookup. */
  private revalidated = new Uint8Array(0)
  private mode = new Uint32Array(0)
  private uid = new Uint32Array(0)
  private gid = new Uint32Array(0)
  private size = new Float64Array(0)
  private expires = new Float64Array(0)
  private inodes = new Float64Array(0)
  // sec, nsec of mtime, ctime, atime
  private seconds = new Float64Array(0)
  private nanos = new Uint32Array(0)

  constructor(options: MetadataCacheOptions = {}) {
    this.statTtlMs = options.statTtlMs ?? DEFAULT_STAT_TTL_MS
    this.listingTtlMs = options.listingTtlMs ?? DEFAULT_LISTING_TTL_MS
    this.negativeTtlMs = options.negativeTtlMs ?? DEFAULT_NEGATIVE_TTL_MS
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES
    if (!(this.maxEntries >= 1)) throw new S3ConfigError('maxEntries: at least 1')
    for (const [name, value] of Object.entries({ statTtlMs: this.statTtlMs, listingTtlMs: this.listingTtlMs, negativeTtlMs: this.negativeTtlMs })) {
      if (!(value >= 0)) throw new S3ConfigError(`${name}: 0 or more`)
    }
  }

  /** Paths held (with attributes, negative, or only their inode number). */
  get entries(): number {
    return this.slotOf.size
  }

  /** The cached stat, null when the path is known not to exist, undefined when unknown or expired. */
  getStat(path: string, now = Date.now()): CachedStat | null | undefined {
    const slot = this.slotOf.get(path)
    if (slot === undefined || this.kind[slot] === UNKNOWN || this.kind[slot] === STALE) return undefined
    if (this.expires[slot]! <= now) {
      if (this.kind[slot] === PRESENT && this.revalidated[slot] === 0) this.kind[slot] = STALE
      else this.toUnknown(slot)
      return undefined
    }
    if (this.kind[slot] === MISSING) return null
    const t = slot * 3
    const time = (i: number): Timespec => ({ sec: this.seconds[t + i]!, nsec: this.nanos[t + i]! })
    return {
      attributes: { mode: this.mode[slot]!, uid: this.uid[slot]!, gid: this.gid[slot]!, size: this.size[slot]!, mtime: time(0), ctime: time(1), atime: time(2) },
      etag: this.etags[slot],
      linkTarget: this.targets[slot],
      plain: this.plain[slot] === 1,
    }
  }

  setStat(path: string, attributes: ObjectAttributes, extras: StatExtras = {}, now = Date.now()): void {
    const slot = this.slotFor(path)
    if (this.statTtlMs === 0) return this.toUnknown(slot)
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
    this.setString(this.etags, slot, extras.etag)
    this.setString(this.targets, slot, extras.linkTarget)
    this.plain[slot] = extras.plain ? 1 : 0
    this.revalidated[slot] = 0
  }

  /**
   * A listing shows the object at `path` with this ETag and size: an expired stat of that same
   * version is fresh again (once). Returns whether it was.
   */
  revalidate(path: string, etag: string, size: number, now = Date.now()): boolean {
    const slot = this.slotOf.get(path)
    if (slot === undefined) return false
    // getStat turns an expired stat stale.
    if (this.kind[slot] === PRESENT) this.getStat(path, now)
    if (this.kind[slot] !== STALE || this.etags[slot] !== etag || this.size[slot] !== size) return false
    this.kind[slot] = PRESENT
    this.expires[slot] = now + this.statTtlMs
    this.revalidated[slot] = 1
    return true
  }

  /** Remembers that nothing is at `path` (a failed lookup). */
  setMissing(path: string, now = Date.now()): void {
    if (this.negativeTtlMs === 0) return this.invalidate(path)
    const slot = this.slotFor(path)
    this.kind[slot] = MISSING
    this.expires[slot] = now + this.negativeTtlMs
    this.setString(this.etags, slot, undefined)
    this.setString(this.targets, slot, undefined)
  }

  /** The path's inode number: the same for as long as the path is known (`maxEntries` paths). */
  inodeOf(path: string): number {
    if (path === '/') return ROOT_INODE
    const slot = this.slotFor(path)
    if (this.inodes[slot] === 0) this.inodes[slot] = this.nextInode++
    return this.inodes[slot]!
  }

  /** Forgets what is known of `path` (its stat or negative entry), keeping its inode number. */
  invalidate(path: string): void {
    const slot = this.slotOf.get(path)
    if (slot !== undefined) this.toUnknown(slot)
  }

  /** The path is gone (unlinked, removed): forgets it, inode number included. */
  forget(path: string): void {
    const slot = this.slotOf.get(path)
    if (slot !== undefined) this.free(path, slot)
    this.dropListing(path)
  }

  /** A file was renamed: `to` takes over the stat and the inode number of `from`, which is forgotten. */
  move(from: string, to: string): void {
    const source = this.slotOf.get(from)
    this.forget(to)
    if (source === undefined) return
    this.slotOf.delete(from)
    this.slotOf.set(to, source)
    this.paths[source] = to
  }

  /** A directory was renamed or removed: forgets everything cached beneath it (a full scan), keeping it. */
  invalidateTree(path: string): void {
    this.invalidate(path)
    this.dropListing(path)
    const prefix = path === '/' ? '/' : `${path}/`
    for (const [p, slot] of this.slotOf) if (p.startsWith(prefix)) this.free(p, slot)
    for (const dir of [...this.listings.keys()]) if (dir.startsWith(prefix)) this.dropListing(dir)
  }

  /** The names in the directory (subdirectories with a trailing "/"), or undefined when not cached or expired. */
  getListing(dir: string, now = Date.now()): ListingNames | undefined {
    const listing = this.listings.get(dir)
    return listing && listing.expires > now ? listing.names : undefined
  }

  /** The directory's last listing, expired or not (how many names to expect, which are directories). */
  staleListing(dir: string): ListingNames | undefined {
    return this.listings.get(dir)?.names
  }

  /** How many subdirectories the directory's last listing has (expired or not), if there is one. */
  subdirectoryCount(dir: string): number | undefined {
    return this.listings.get(dir)?.subdirectories
  }

  /** Keeps a complete listing of `dir` (taken over: the caller must not change it afterwards). */
  setListing(dir: string, names: Set<string>, now = Date.now()): void {
    this.dropListing(dir)
    if (this.listingTtlMs === 0 || names.size > this.maxEntries) return
    let subdirectories = 0
    for (const name of names) if (name.endsWith('/')) subdirectories++
    this.listings.set(dir, { names, expires: now + this.listingTtlMs, subdirectories })
    this.listedNames += names.size
    // Oldest listings go first once the names pass the bound.
    for (const oldest of this.listings.keys()) {
      if (this.listedNames <= this.maxEntries) break
      this.dropListing(oldest)
    }
  }

  /** A name made in `dir` through this mount: added to its cached listing, if there is one. */
  addToListing(dir: string, name: string): void {
    const listing = this.listings.get(dir)
    if (!listing || listing.names.has(name)) return
    listing.names.add(name)
    if (name.endsWith('/')) listing.subdirectories++
    this.listedNames++
  }

  /** A name removed from `dir` through this mount: taken out of its cached listing, if there is one. */
  removeFromListing(dir: string, name: string): void {
    const listing = this.listings.get(dir)
    if (!listing?.names.delete(name)) return
    if (name.endsWith('/')) listing.subdirectories--
    this.listedNames--
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
        this.free(this.paths[slot]!, slot)
        this.freeSlots.pop()
      }
    }
    this.slotOf.set(path, slot)
    this.paths[slot] = path
    this.kind[slot] = UNKNOWN
    this.inodes[slot] = 0
    return slot
  }

  private toUnknown(slot: number): void {
    this.kind[slot] = UNKNOWN
    this.setString(this.etags, slot, undefined)
    this.setString(this.targets, slot, undefined)
  }

  private free(path: string, slot: number): void {
    this.slotOf.delete(path)
    this.paths[slot] = undefined
    this.toUnknown(slot)
    this.kind[slot] = FREE
    this.inodes[slot] = 0
    this.freeSlots.push(slot)
  }

  /** Sparse string arrays: a slot without a value holds a hole, not an undefined element. */
  private setString(array: Array<string | undefined>, slot: number, value: string | undefined): void {
    if (value !== undefined) array[slot] = value
    else if (array[slot] !== undefined) delete array[slot]
  }

  private dropListing(dir: string): void {
    const listing = this.listings.get(dir)
    if (!listing) return
    this.listedNames -= listing.names.size
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
    this.plain = grown(this.plain, (n) => new Uint8Array(n))
    this.revalidated = grown(this.revalidated, (n) => new Uint8Array(n))
    this.mode = grown(this.mode, (n) => new Uint32Array(n))
    this.uid = grown(this.uid, (n) => new Uint32Array(n))
    this.gid = grown(this.gid, (n) => new Uint32Array(n))
    this.size = grown(this.size, (n) => new Float64Array(n))
    this.expires = grown(this.expires, (n) => new Float64Array(n))
    this.inodes = grown(this.inodes, (n) => new Float64Array(n))
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

/** "/a/b" → "b". */
export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}
