import { FsError } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { CallAbortedError, errnoOf, fsErrorOf } from '../src/errno-of.js'
import { backoffDelayMs, isRetryable } from '../src/retry-policy.js'

// Errors shaped as the SDK throws them: name = S3 code, $metadata.httpStatusCode.
const s3Error = (name: string, status?: number) => Object.assign(new Error('server said no'), { name, $metadata: { httpStatusCode: status } })
const systemError = (code: string) => Object.assign(new Error(`connect ${code}`), { code })

describe('errnoOf', () => {
  it.each([
    [s3Error('NoSuchKey', 404), 'ENOENT'],
    [s3Error('NotFound', 404), 'ENOENT'],
    [s3Error('NoSuchBucket', 404), 'ENOENT'],
    [s3Error('AccessDenied', 403), 'EACCES'],
    [s3Error('Forbidden', 403), 'EACCES'],
    [s3Error('InvalidAccessKeyId', 403), 'EACCES'],
    [s3Error('SignatureDoesNotMatch', 403), 'EACCES'],
    [s3Error('InvalidRange', 416), 'EINVAL'],
    [s3Error('EntityTooLarge', 400), 'EFBIG'],
    [s3Error('UnknownError', 404), 'ENOENT'],
    [s3Error('InternalError', 500), 'EIO'],
    [s3Error('SlowDown', 503), 'EIO'],
    [s3Error('TimeoutError'), 'ETIMEDOUT'],
    [systemError('ECONNRESET'), 'EIO'],
    [systemError('ECONNREFUSED'), 'EIO'],
    [systemError('ETIMEDOUT'), 'ETIMEDOUT'],
    // The SDK names a reset connection TimeoutError.
    [Object.assign(systemError('ECONNRESET'), { name: 'TimeoutError' }), 'EIO'],
    [new CallAbortedError(false), 'ETIMEDOUT'],
    [new CallAbortedError(true), 'EINTR'],
    [new FsError('ENOSPC'), 'ENOSPC'],
    [new TypeError('bug'), 'EIO'],
  ])('%s → %s', (error, errno) => {
    expect(errnoOf(error)).toBe(errno)
  })

  it('finds a system code in the causes', () => {
    expect(errnoOf(new Error('wrapped', { cause: systemError('ETIMEDOUT') }))).toBe('ETIMEDOUT')
  })

  it('fsErrorOf names the operation, key and code, never the SDK message', () => {
    const error = fsErrorOf(Object.assign(s3Error('AccessDenied', 403), { message: 'Credential=AKIDSECRET/2026' }), 'GET', 'a/b')
    expect(error).toBeInstanceOf(FsError)
    expect(error.message).toBe('EACCES: GET a/b: AccessDenied, HTTP 403')
    expect(fsErrorOf(s3Error('NoSuchBucket', 404), 'LIST', 'p/').message).toBe('ENOENT: LIST p/: the bucket does not exist')
    expect(fsErrorOf(new CallAbortedError(false), 'HEAD', 'k').message).toBe('ETIMEDOUT: HEAD k: deadline exceeded')
  })
})

describe('retry policy', () => {
  it('retries 5xx, 429, throttling and dropped connections, never 4xx or an abort', () => {
    expect(isRetryable(s3Error('InternalError', 500))).toBe(true)
    expect(isRetryable(s3Error('SlowDown', 503))).toBe(true)
    expect(isRetryable(s3Error('TooManyRequests', 429))).toBe(true)
    expect(isRetryable(s3Error('ThrottlingException', 400))).toBe(true)
    expect(isRetryable(s3Error('RequestTimeout', 400))).toBe(true)
    expect(isRetryable(systemError('ECONNRESET'))).toBe(true)
    expect(isRetryable(systemError('ECONNREFUSED'))).toBe(true)
    expect(isRetryable(s3Error('TimeoutError'))).toBe(true)
    expect(isRetryable(s3Error('NoSuchKey', 404))).toBe(false)
    expect(isRetryable(s3Error('AccessDenied', 403))).toBe(false)
    expect(isRetryable(s3Error('InvalidRange', 416))).toBe(false)
    expect(isRetryable(new CallAbortedError(true))).toBe(false)
    expect(isRetryable(systemError('EACCES'))).toBe(false)
  })

  it('backs off exponentially with full jitter, capped', () => {
    const options = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 }
    expect(backoffDelayMs(1, options, () => 0.999)).toBe(99)
    expect(backoffDelayMs(3, options, () => 0.999)).toBe(399)
    expect(backoffDelayMs(8, options, () => 0.999)).toBe(999)
    expect(backoffDelayMs(3, options, () => 0)).toBe(0)
  })
})
