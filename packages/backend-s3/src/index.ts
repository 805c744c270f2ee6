import { s3Backend } from './backend.js'

// The backend (default export, what `fusekit mount s3` loads), and its storage layer for tests,
// tools and the bench.
export default s3Backend
export { s3Backend }
export { s3Options, type S3Options } from './options.js'
export { S3Filesystem } from './s3-filesystem.js'
export { S3ObjectStore } from './object-store.js'
export type { CopyOptions, GetOptions, ListedObject, ListOptions, ListPage, ObjectHead, ObjectWriteOptions, S3ObjectStoreOptions } from './object-store.js'
export type { CallOptions } from './call-runner.js'
export type { FileRange, UploadBody } from './request-body.js'
export { StoreStats } from './store-stats.js'
export { runMultipartUpload } from './multipart-upload.js'
export { defaultRetryOptions, isRetryable, type RetryOptions } from './retry-policy.js'
export { CallAbortedError, errnoOf, fsErrorOf } from './errno-of.js'
export { S3ConfigError } from './config-error.js'
export { ObjectKeys } from './object-keys.js'
export {
  contentTypeFor,
  decodeAttributes,
  encodeAttributes,
  foreignMetadata,
  formatTime,
  parseTime,
  prefixAttributes,
  S_IFDIR,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  type AttributeDefaults,
  type ObjectAttributes,
  type StoredObject,
} from './object-metadata.js'
export { WriteStaging, type DirtyFile, type FlushProgress, type OpenStagedOptions, type WriteStagingOptions } from './write-staging.js'
export { StagedFile, type StagedBase } from './staged-file.js'
export { ReadAhead, ReadHandle, type RangeSource, type ReadAheadOptions } from './read-ahead.js'
export { MemoryBudget } from './memory-budget.js'
export { MetadataCache, parentOf, type CachedStat, type MetadataCacheOptions } from './metadata-cache.js'
