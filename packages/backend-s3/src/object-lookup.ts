import { FsError, type Timespec } from '@fusekit/core'
import { abortable } from './abortable.js'
import type { MetadataCache, ListingNames } from './metadata-cache.js'
import { nameOf, parentOf } from './metadata-cache.js'
import type { ObjectKeys } from './object-keys.js'
import { decodeAttributes, isPlainObject, prefixAttributes, type AttributeDefaults, type ObjectAttributes } from './object-metadata.js'
import type { ObjectHead, S3ObjectStore } from './object-store.js'
import { StatAhead } from './stat-ahead.js'

/** What a path is in the bucket. */
export interface FoundObject {
  attributes: ObjectAttributes
  etag: string | undefined
  /** A symlink's target, once read. */
  linkTarget: string | undefined
  /** Its metadata is only attributes (isPlainObject): it can be replaced without a HEAD. */
  plain: boolean
}

export interface ObjectLookupOptions {
  /** exact: attributes from each object's metadata (HEAD); fast: a listing's are taken as they are. */
  listMode: 'exact' | 'fast'
  /** HEADs in flight at once for a stat-ahead. */
  headConcurrency: number
  /** Owner and modes of objects without metadata. */
  defaults: AttributeDefaults
  /** The time shown for the root and for directories that have no marker object. */
  mountTime: Timespec
}

/** Directories of up to this many names are listed again when their listing expired, rather than looked up name by name. */
const RELIST_LIMIT = 10_000

/** A lookup in flight; `stale` once a local change made its answer out of date. */
interface PendingLookup {
  promise: Promise<FoundObject | undefined>
  stale: boolean
}

/**
 * What a path is: from the cache, from the parent's cached listing (a name not in it does not
 * exist), or from S3. An uncached path costs a HEAD of its key and one of its directory marker
 * in parallel, and a one-key LIST when both miss (a directory without a marker). Lookups of one
 * path in flight together share their requests. Listings come from ListObjectsV2 with a
 * delimiter, page by page; in fast mode they also give the entries' attributes.
 */
export class ObjectLookup {
  private readonly inFlight = new Map<string, PendingLookup>()
  private readonly listingsInFlight = new Map<string, Promise<ListingNames>>()
  private readonly statAhead: StatAhead
  private readonly rootAttributes: ObjectAttributes

  constructor(
    private readonly store: S3ObjectStore,
    private readonly keys: ObjectKeys,
    private readonly cache: MetadataCache,
    private readonly options: ObjectLookupOptions,
  ) {
    this.rootAttributes = prefixAttributes(options.defaults, options.mountTime)
    this.statAhead = new StatAhead((path, kind) => this.find(path, undefined, kind), options.headConcurrency)
  }

  /** The object at `path`; ENOENT when there is none. */
  async stat(path: string, signal?: AbortSignal): Promise<FoundObject> {
    const found = await this.find(path, signal)
    if (!found) throw new FsError('ENOENT')
    return found
  }

  /** What is known of `path` without asking S3: its object, null when known missing, undefined when not known. */
  known(path: string): FoundObject | null | undefined {
    if (path === '/') return { attributes: this.rootAttributes, etag: undefined, linkTarget: undefined, plain: false }
    return this.cache.getStat(path)
  }

  /** The object at `path`, or undefined. `kind`: what a listing said it is (spares a request). */
  async find(path: string, signal?: AbortSignal, kind?: 'file' | 'dir'): Promise<FoundObject | undefined> {
    const known = this.known(path)
    if (known) return known
    if (known === null) return undefined
    const parent = parentOf(path)
    const name = nameOf(path)
    const listing = await this.currentListing(parent, signal)
    if (listing) {
      if (listing.has(`${name}/`)) kind = 'dir'
      else if (listing.has(name)) kind = 'file'
      else {
        this.cache.setMissing(path)
        return undefined
      }
    }
    let pending = this.inFlight.get(path)
    if (!pending) {
      const entry: PendingLookup = { promise: Promise.resolve(undefined), stale: false }
      entry.promise = this.fetch(path, kind, entry).finally(() => {
        if (this.inFlight.get(path) === entry) this.inFlight.delete(path)
      })
      this.inFlight.set(path, entry)
      pending = entry
      // Only a reader's own misses count towards a stat-ahead, not the stat-ahead's.
      if (listing && signal) this.statAhead.missed(parent, listing, name)
    }
    return abortable(pending.promise, signal)
  }

  /**
   * The directory's fresh listing, if one is cached, or listed again now when the last one
   * expired and was small enough: one LIST answers every lookup in it (negative ones too) and
   * refreshes the expired stats of unchanged objects, instead of HEADs for each name.
   */
  private async currentListing(dir: string, signal?: AbortSignal): Promise<ListingNames | undefined> {
    const fresh = this.cache.getListing(dir)
    if (fresh) return fresh
    const stale = this.cache.staleListing(dir)
    return stale && stale.size <= RELIST_LIMIT ? this.listing(dir, signal) : undefined
  }

  /**
   * A change was made at `path` through this mount: a lookup in flight must not cache what it
   * finds (it may predate the change), and the cached stat is replaced by what the caller sets.
   */
  changed(path: string): void {
    const pending = this.inFlight.get(path)
    if (pending) {
      pending.stale = true
      this.inFlight.delete(path)
    }
  }

  /**
   * A directory's names changed through this mount: a listing in flight must not be cached (its
   * callers still get it: a listing made while the directory changes may or may not show a change).
   */
  listingChanged(dir: string): void {
    this.listingsInFlight.delete(dir)
  }

  /** The names in a directory (subdirectories with a trailing "/"), from the cache or listed now. */
  async listing(dir: string, signal?: AbortSignal): Promise<ListingNames> {
    const cached = this.cache.getListing(dir)
    if (cached) return cached
    let pending = this.listingsInFlight.get(dir)
    if (!pending) {
      const made: Promise<ListingNames> = this.list(dir).then((names) => {
        if (this.listingsInFlight.get(dir) !== made) return names
        this.listingsInFlight.delete(dir)
        this.cache.setListing(dir, names)
        return names
      })
      made.catch(() => this.listingsInFlight.get(dir) === made && this.listingsInFlight.delete(dir))
      this.listingsInFlight.set(dir, made)
      pending = made
    }
    return abortable(pending, signal)
  }

  /** Whether any key lies under the directory's prefix besides `except` (its marker, typically). */
  async hasKeysUnder(path: string, except?: string, signal?: AbortSignal): Promise<boolean> {
    // Keys deleted here and not yet in S3 are left out of the pages (DeferredDeletes): after an
    // rm -rf, pages of them are skipped rather than waited for.
    const pageSize = this.store.deletes.pending > 0 ? 1000 : 2
    for await (const page of this.store.list(this.keys.dirKey(path), { pageSize, signal })) {
      if (page.objects.some((o) => o.key !== except) || page.prefixes.length > 0) return true
    }
    return false
  }

  /** The attributes of an object from its HEAD answer. */
  attributesOf(head: ObjectHead): ObjectAttributes {
    return decodeAttributes(head, this.options.defaults)
  }

  /** The attributes of a directory that has no marker object. */
  prefixDirectory(): ObjectAttributes {
    return prefixAttributes(this.options.defaults, this.options.mountTime)
  }

  private async fetch(path: string, kind: 'file' | 'dir' | undefined, entry: PendingLookup): Promise<FoundObject | undefined> {
    const fileKey = this.keys.fileKey(path)
    const dirKey = this.keys.dirKey(path)
    let found: FoundObject | undefined
    if (kind === 'dir') {
      const marker = await this.store.head(dirKey)
      found = marker ? this.foundHead(marker) : this.foundPrefix()
    } else {
      const [file, marker] = await Promise.all([this.store.head(fileKey), kind === 'file' ? undefined : this.store.head(dirKey)])
      if (marker) found = this.foundHead(marker)
      else if (file) found = this.foundHead(file)
      else if (kind === undefined && (await this.hasKeysUnder(path))) found = this.foundPrefix()
    }
    if (!entry.stale) {
      if (found) this.cache.setStat(path, found.attributes, { etag: found.etag, plain: found.plain })
      else this.cache.setMissing(path)
    }
    return found
  }

  private foundHead(head: ObjectHead): FoundObject {
    const attributes = this.attributesOf(head)
    return { attributes, etag: head.etag, linkTarget: undefined, plain: isPlainObject(head, attributes.mode) }
  }

  /** A directory without a marker: nothing to keep when one is written for it. */
  private foundPrefix(): FoundObject {
    return { attributes: this.prefixDirectory(), etag: undefined, linkTarget: undefined, plain: true }
  }

  /** One LIST of the directory, all pages. In fast mode the entries' attributes are cached from it. */
  private async list(dir: string): Promise<Set<string>> {
    const dirKey = this.keys.dirKey(dir)
    const base = dir === '/' ? '/' : `${dir}/`
    const fast = this.options.listMode === 'fast'
    const names = new Set<string>()
    for await (const page of this.store.list(dirKey, { delimiter: '/' })) {
      for (const object of page.objects) {
        const name = object.key.slice(dirKey.length)
        if (!usableName(name)) continue
        names.add(name)
        const path = base + name
        const cached = this.cache.getStat(path)
        // A version other than the one cached: changed elsewhere since. The same: an expired stat is good again.
        if (cached && cached.etag !== undefined && cached.etag !== object.etag) this.cache.invalidate(path)
        else if (!cached) this.cache.revalidate(path, object.etag, object.size)
        if (fast && !this.cache.getStat(path)) this.cache.setStat(path, decodeAttributes(object, this.options.defaults), { etag: object.etag })
      }
      for (const prefix of page.prefixes) {
        const name = prefix.slice(dirKey.length, -1)
        if (!usableName(name)) continue
        names.add(`${name}/`)
        if (fast && !this.cache.getStat(base + name)) this.cache.setStat(base + name, this.prefixDirectory())
      }
    }
    return names
  }
}

/** A key's last part that can be a name here: not empty, not . or .., at most 255 bytes. */
function usableName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && Buffer.byteLength(name) <= 255
}
