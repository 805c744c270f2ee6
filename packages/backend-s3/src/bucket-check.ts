import { FsError, type ErrnoName } from '@fusekit/core'
import { errnoOf, httpStatusOf, s3CodeOf, systemCodeOf } from './errno-of.js'
import type { S3ObjectStore } from './object-store.js'

/** How long the mount waits for a first answer from the server. */
const CHECK_TIMEOUT_MS = 10_000

/**
 * Lists one key of the bucket before anything is mounted, so that a wrong bucket, wrong
 * credentials or an unreachable endpoint fail the mount at once with one line saying which
 * (never with the credentials themselves), instead of every operation failing later.
 * `where` names the server: "at http://127.0.0.1:7480", "in us-east-1".
 */
export async function checkBucket(store: S3ObjectStore, prefix: string, where: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<void> {
  try {
    for await (const _ of store.list(prefix, { pageSize: 1, timeoutMs })) break
  } catch (error) {
    const { errno, problem } = diagnose(error, timeoutMs)
    throw new FsError(errno, `bucket ${store.bucket} ${where}: ${problem}`)
  }
}

/** What went wrong, in words that say what to check. */
function diagnose(error: unknown, timeoutMs: number): { errno: ErrnoName; problem: string } {
  const causes: unknown[] = []
  for (let e = error, depth = 0; e !== undefined && depth < 5; depth++, e = (e as { cause?: unknown }).cause) causes.push(e)
  const code = causes.map(s3CodeOf).find((c) => c !== undefined && c !== 'FsError' && c !== 'CallAbortedError')
  const status = causes.map(httpStatusOf).find((s) => s !== undefined)
  // The FsError's own code is the errno; the network's code is in its cause.
  const system = systemCodeOf(causes[1])
  const errno = errnoOf(error)
  if (code === 'NoSuchBucket') return { errno: 'ENOENT', problem: 'no such bucket' }
  if (code === 'CredentialsProviderError') {
    return { errno: 'EACCES', problem: 'no credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --profile)' }
  }
  if (errno === 'EACCES') return { errno, problem: `access denied${code ? ` (${code})` : ''} (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or --profile)` }
  if (errno === 'ETIMEDOUT') return { errno, problem: `no answer within ${timeoutMs / 1000} s (is the endpoint right and reachable?)` }
  if (system !== undefined && status === undefined) return { errno, problem: `cannot connect (${system})` }
  return { errno, problem: [code, status && `HTTP ${status}`].filter(Boolean).join(', ') || 'failed' }
}
