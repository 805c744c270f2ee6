import { FsError, type ErrnoName } from '@fusekit/core'

/** Why a call ended without an answer from S3: the caller gave up, or our deadline passed. */
export class CallAbortedError extends Error {
  override readonly name = 'CallAbortedError'
  constructor(
    readonly byCaller: boolean,
    options?: ErrorOptions,
  ) {
    super(byCaller ? 'interrupted by the caller' : 'deadline exceeded', options)
  }
}

const errnoByCode: Readonly<Record<string, ErrnoName>> = {
  NoSuchKey: 'ENOENT',
  NotFound: 'ENOENT',
  NoSuchBucket: 'ENOENT',
  NoSuchUpload: 'ENOENT',
  AccessDenied: 'EACCES',
  Forbidden: 'EACCES',
  InvalidAccessKeyId: 'EACCES',
  SignatureDoesNotMatch: 'EACCES',
  AllAccessDisabled: 'EACCES',
  ExpiredToken: 'EACCES',
  InvalidToken: 'EACCES',
  InvalidRange: 'EINVAL',
  InvalidArgument: 'EINVAL',
  EntityTooLarge: 'EFBIG',
  BucketAlreadyOwnedByYou: 'EEXIST',
  BucketAlreadyExists: 'EEXIST',
  BucketNotEmpty: 'ENOTEMPTY',
  PreconditionFailed: 'ESTALE',
  QuotaExceeded: 'EDQUOT',
  RequestTimeout: 'ETIMEDOUT',
  TimeoutError: 'ETIMEDOUT',
}

const errnoByStatus: Readonly<Record<number, ErrnoName>> = {
  400: 'EINVAL',
  401: 'EACCES',
  403: 'EACCES',
  404: 'ENOENT',
  405: 'EPERM',
  409: 'EBUSY',
  411: 'EINVAL',
  412: 'ESTALE',
  413: 'EFBIG',
  416: 'EINVAL',
}

const networkErrnos = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

/** The S3 error code of an SDK error ("NoSuchKey"), or undefined for anything else. */
export function s3CodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { name, Code } = error as { name?: unknown; Code?: unknown }
  if (typeof Code === 'string') return Code
  return typeof name === 'string' && name !== 'Error' ? name : undefined
}

/** The HTTP status of an SDK error, if the server answered. */
export function httpStatusOf(error: unknown): number | undefined {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode
  return typeof status === 'number' ? status : undefined
}

/** A Node system error code (ECONNRESET, ...) of the error or one of its causes. */
export function systemCodeOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * The errno a filesystem caller should see for a failed S3 call: missing keys and buckets are
 * ENOENT, refused credentials EACCES, our deadline ETIMEDOUT, the caller's abort EINTR, a range
 * past the end EINVAL, too large EFBIG, and whatever is left after retries (5xx, network) EIO.
 */
export function errnoOf(error: unknown): ErrnoName {
  if (error instanceof FsError) return error.code as ErrnoName
  if (error instanceof CallAbortedError) return error.byCaller ? 'EINTR' : 'ETIMEDOUT'
  const status = httpStatusOf(error)
  const system = systemCodeOf(error)
  // No answer from the server. (The SDK names a reset connection "TimeoutError": the code tells.)
  if (status === undefined && system !== undefined && (networkErrnos.has(system) || system === 'ETIMEDOUT' || system === 'ECONNABORTED')) {
    return networkErrnos.has(system) ? 'EIO' : 'ETIMEDOUT'
  }
  const code = s3CodeOf(error)
  if (code !== undefined && errnoByCode[code]) return errnoByCode[code]
  if (status !== undefined && errnoByStatus[status]) return errnoByStatus[status]
  return 'EIO'
}

/**
 * The FsError for a failed S3 call on `key`. The message names the operation, the key and the S3
 * code or status only: SDK messages and requests are left out, so no credential can leak into it.
 */
export function fsErrorOf(error: unknown, operation: string, key: string): FsError {
  if (error instanceof FsError) return error
  const errno = errnoOf(error)
  const code = s3CodeOf(error)
  const status = httpStatusOf(error)
  const system = systemCodeOf(error)
  const why =
    error instanceof CallAbortedError
      ? error.message
      : code === 'NoSuchBucket'
        ? 'the bucket does not exist'
        : [code, status && `HTTP ${status}`, system].filter(Boolean).join(', ') || 'failed'
  return new FsError(errno, `${operation} ${key}: ${why}`, { cause: error })
}
