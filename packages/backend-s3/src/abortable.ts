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
