import { defineBackend, FsError, mapErrno, Timespec, type Logger, type ResidentData } from '@fusekit/core'
import { checkBucket } from './bucket-check.js'
import { DirectoryTimes } from './directory-times.js'
import { LocalFiles } from './local-files.js'
import { MemoryBudget } from './memory-budget.js'
import { DEFAULT_NEGATIVE_TTL_MS, DEFAULT_STAT_TTL_MS, MetadataCache } from './metadata-cache.js'
import type { MountParts } from './mount-parts.js'
import { ObjectKeys } from './object-keys.js'
import { ObjectLookup } from './object-lookup.js'
import { S3ObjectStore } from './object-store.js'
import { s3Options, type S3Options } from './options.js'
import { DiskPieces } from './disk-pieces.js'
import { DEFAULT_MIN_READ, ReadAhead } from './read-ahead.js'
import { S3Filesystem } from './s3-filesystem.js'
import { WriteStaging } from './write-staging.js'

/** `fusekit mount s3 <mountpoint> --bucket B [--prefix P] [--endpoint URL] ...` */
export const s3Backend = defineBackend({
  apiVersion: 2,
  layer: 'path',
  name: 's3',
  description: 'An S3 bucket (AWS, Ceph RGW, MinIO, ...), with the object layout of s3fs-fuse',
  options: s3Options,
  mountDefaults: {
    // Another machine may change the bucket: the kernel keeps attributes, names and failed
    // lookups as long as the backend's own caches do by default (--stat-ttl, --negative-ttl),
    // and drops a file's pages when its size or mtime changed (auto_cache).
    attrTimeout: DEFAULT_STAT_TTL_MS / 1000,
    entryTimeout: DEFAULT_STAT_TTL_MS / 1000,
    negativeTimeout: DEFAULT_NEGATIVE_TTL_MS / 1000,
    autoCache: true,
    defaultPermissions: true,
  },
  create: ({ options, logger, residentData }) => createS3Filesystem(options, logger, residentData),
})

/** Connects to the bucket (failing at once when it cannot), and builds the mount's parts. */
async function createS3Filesystem(options: S3Options, logger: Logger, residentData: ResidentData): Promise<S3Filesystem> {
  const store = new S3ObjectStore({
    bucket: options.bucket,
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.pathStyle,
    profile: options.profile,
    partSize: options.partSize,
    uploadConcurrency: options.uploadConcurrency,
    timeoutMs: options.timeout * 1000,
    report: (message) => logger.warn(message),
    // Stat-ahead, uploads and read-ahead share the sockets.
    maxConnections: options.headConcurrency + options.uploadConcurrency + 16,
  })
  try {
    const keys = new ObjectKeys((options.prefix ?? '').replace(/^\/+/, ''))
    const where = options.endpoint ? `at ${options.endpoint}` : `on AWS${options.region ? ` (${options.region})` : ''}`
    await checkBucket(store, keys.prefix, where, Math.min(10_000, options.timeout * 1000))
    const cache = new MetadataCache({
      statTtlMs: options.statTtl * 1000,
      listingTtlMs: options.listTtl * 1000,
      negativeTtlMs: options.negativeTtl * 1000,
      maxEntries: options.cacheEntries,
    })
    const defaults = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }
    const lookup = new ObjectLookup(store, keys, cache, { listMode: options.listMode, headConcurrency: options.headConcurrency, defaults, mountTime: Timespec.now() })
    // What has arrived is offered to the driver, which answers random reads of it itself.
    const budget = new MemoryBudget(options.readMemory)
    const disk = options.readDisk > 0 ? new DiskPieces(options.cacheDir, options.readDisk, DEFAULT_MIN_READ) : undefined
    const readAhead = new ReadAhead(store, { budget, resident: residentData, disk })
    const parts: MountParts = {
      store,
      keys,
      cache,
      lookup,
      staging: await stagingIn(store, options),
      readAhead,
      files: new LocalFiles((reader) => readAhead.close(reader)),
      directoryTimes: new DirectoryTimes({ store, keys }, cache, lookup, logger),
      logger,
    }
    return new S3Filesystem(parts)
  } catch (error) {
    store.destroy()
    throw error
  }
}

async function stagingIn(store: S3ObjectStore, options: S3Options): Promise<WriteStaging> {
  try {
    return await WriteStaging.create(store, { cacheDir: options.cacheDir, maxDirtyBytes: options.maxDirty })
  } catch (error) {
    throw new FsError(mapErrno(error)?.errno ?? 'EIO', `--cache-dir ${options.cacheDir}: ${(error as Error).message}`)
  }
}
