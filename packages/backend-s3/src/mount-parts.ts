import type { Logger } from '@fusekit/core'
import type { DirectoryTimes } from './directory-times.js'
import type { LocalFiles } from './local-files.js'
import { nameOf, parentOf, type MetadataCache, type StatExtras } from './metadata-cache.js'
import type { ObjectKeys } from './object-keys.js'
import type { ObjectLookup } from './object-lookup.js'
import type { ObjectAttributes } from './object-metadata.js'
import type { S3ObjectStore } from './object-store.js'
import type { ReadAhead } from './read-ahead.js'
import type { WriteStaging } from './write-staging.js'

/** The parts of one mount, shared by the groups of operations. */
export interface MountParts {
  readonly store: S3ObjectStore
  readonly keys: ObjectKeys
  readonly cache: MetadataCache
  readonly lookup: ObjectLookup
  readonly staging: WriteStaging
  readonly readAhead: ReadAhead
  readonly files: LocalFiles
  readonly directoryTimes: DirectoryTimes
  readonly logger: Logger
}

/**
 * Writes what this mount just did at `path` into the cache: its attributes (a lookup in flight
 * must not overwrite them with an older answer) and its name in the parent's listing.
 */
export function recordPresent(parts: MountParts, path: string, attributes: ObjectAttributes, extras: StatExtras = {}, isDirectory = false): void {
  parts.lookup.changed(path)
  parts.cache.setStat(path, attributes, extras)
  const parent = parentOf(path)
  parts.cache.addToListing(parent, isDirectory ? `${nameOf(path)}/` : nameOf(path))
  parts.lookup.listingChanged(parent)
}

/** The name at `path` is gone through this mount: forgotten (inode number too), known missing, out of its parent's listing. */
export function recordGone(parts: MountParts, path: string, isDirectory = false): void {
  parts.lookup.changed(path)
  if (isDirectory) parts.cache.invalidateTree(path)
  parts.cache.forget(path)
  parts.cache.setMissing(path)
  const parent = parentOf(path)
  parts.cache.removeFromListing(parent, isDirectory ? `${nameOf(path)}/` : nameOf(path))
  parts.lookup.listingChanged(parent)
}
