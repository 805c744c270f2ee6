import { fdatasync, fsync } from 'node:fs'
import { mapErrno } from '@fusekit/core'

/** Turns a Node.js system error into the FsError carrying its errno; other errors pass unchanged. */
export function toFsError(error: unknown): unknown {
  return mapErrno(error) ?? error
}

/**
 * Runs a synchronous system call and rethrows its failure as an FsError with the real errno.
 *
 * Metadata calls, reads and writes run synchronously on purpose: on a local filesystem they take
 * microseconds, while a round trip through libuv's thread pool costs 30-50 µs, more than the FUSE
 * request itself, and pool threads hand readahead back out of order (measured against the pool:
 * 4 KiB random reads 1.3-3x faster, cold sequential reads from disk 2x). The price: a source that stalls (a hung network
 * filesystem, a failing disk) stalls the whole mount, not just the one request.
 */
export function sys<T>(call: () => T): T {
  try {
    return call()
  } catch (error) {
    throw toFsError(error)
  }
}

/** fsync or fdatasync through the thread pool: a flush to disk can take milliseconds. */
export function syncFd(fd: number, dataOnly: boolean): Promise<void> {
  return new Promise((resolve, reject) =>
    (dataOnly ? fdatasync : fsync)(fd, (error) => (error ? reject(toFsError(error)) : resolve())),
  )
}
