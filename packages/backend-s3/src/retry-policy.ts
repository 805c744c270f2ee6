import { CallAbortedError, httpStatusOf, s3CodeOf, systemCodeOf } from './errno-of.js'

export interface RetryOptions {
  /** Attempts in all, the first included (1: no retry). */
  maxAttempts: number
  /** Backoff before the second attempt; doubles for each next one, with full jitter. */
  baseDelayMs: number
  maxDelayMs: number
}

export const defaultRetryOptions: RetryOptions = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 5_000 }

// Answers that say "try again": throttling and the server's own trouble.
const retryableCodes = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
  'TooManyRequestsException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
])

// The connection went away or never came: the request may not have reached S3 at all.
const retryableSystemCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
])

/**
 * Whether a failed attempt is worth another: 5xx, 429, throttling codes, connection failures
 * and an attempt's own timeout. Not 4xx answers (NoSuchKey, AccessDenied, ...), which another
 * attempt would only repeat, and never after the caller gave up.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof CallAbortedError) return false
  const status = httpStatusOf(error)
  if (status !== undefined && (status >= 500 || status === 429)) return true
  const code = s3CodeOf(error)
  if (code !== undefined && retryableCodes.has(code)) return true
  if (status !== undefined) return false
  const system = systemCodeOf(error)
  if (system !== undefined) return retryableSystemCodes.has(system)
  // The SDK's own name for a dropped connection while reading an answer.
  return code === 'AbortError' || /socket hang up|premature close|ECONNRESET/i.test(String((error as Error)?.message))
}

/** Backoff before attempt `attempt + 1` (attempt counts from 1): "full jitter", never over the cap. */
export function backoffDelayMs(attempt: number, options: RetryOptions, random = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1))
  return Math.floor(random() * ceiling)
}
