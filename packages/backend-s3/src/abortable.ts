import { FsError } from '@fusekit/core'

/**
 * Waits for `promise`, or until `signal` aborts (EINTR): for work shared by several callers (one
 * lookup answering all who asked), which must go on when one of them gives up.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(new FsError('EINTR'))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new FsError('EINTR'))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Aborts `target` when `source` aborts, with its reason, until the returned function unlinks
 * them. What AbortSignal.any does, for a tenth of the cost (it took 25–40 µs a call).
 */
export function linkAbort(source: AbortSignal, target: AbortController): () => void {
  if (source.aborted) {
    target.abort(source.reason)
    return () => undefined
  }
  const onAbort = () => target.abort(source.reason)
  source.addEventListener('abort', onAbort, { once: true })
  return () => source.removeEventListener('abort', onAbort)
}

/** The error an exchange fails with when its signal aborts (the retry policy knows it by name). */
export function abortError(): Error {
  return Object.assign(new Error('the request was aborted'), { name: 'AbortError' })
}
