import { fdatasync, fsync, read, write } from 'node:fs'
import { mapErrno } from '@fusekit/core'

/** Turns a Node.js system error into the FsError carrying its errno; other errors pass unchanged. */
export function toFsError(error: unknown): unknown {
  return mapErrno(error) ?? error
}

/**
 * Runs a synchronous system call and rethrows its failure as an FsError with the real errno.
 *
 * Metadata calls run synchronously on purpose: on a local filesystem they take 1-2 µs, while a
 * round trip through libuv's thread pool costs 30-50 µs, more than the FUSE request itself.
 */
export function sys<T>(call: () => T): T {
  try {
    return call()
  } catch (error) {
    throw toFsError(error)
  }
}

/** Positional read through the thread pool (data calls may wait on the disk). */
export function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, 0, buffer.length, position, (error, bytes) => (error ? reject(toFsError(error)) : resolve(bytes))),
  )
}

/** Positional write through the thread pool. */
export function writeAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    write(fd, buffer, 0, buffer.length, position, (error, bytes) => (error ? reject(toFsError(error)) : resolve(bytes))),
  )
}

/** fsync or fdatasync through the thread pool: a flush to disk can take milliseconds. */
export function syncFd(fd: number, dataOnly: boolean): Promise<void> {
  return new Promise((resolve, reject) =>
    (dataOnly ? fdatasync : fsync)(fd, (error) => (error ? reject(toFsError(error)) : resolve())),
  )
}
