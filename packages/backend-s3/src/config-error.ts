/**
 * A wrong setting of the S3 backend (bad part size, missing bucket, ...): raised while building
 * the store or its layers, never as the answer to a filesystem operation (that is an FsError).
 */
export class S3ConfigError extends Error {
  override readonly name = 'S3ConfigError'
}
