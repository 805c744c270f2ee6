import { Errno, FsError, OpenFlags, type ErrnoName, type Logger } from '@fusekit/core'
import { expect } from 'vitest'
import { MemoryFileSystem, memoryOptions } from '../src/index.js'

export const KiB = 1024
export const MiB = 1024 * KiB

export const silentLogger: Logger = { level: 'error', debug() {}, info() {}, warn() {}, error() {} }

/** A fresh memory filesystem of the given capacity. */
export function memoryFs(size: number | string = '64M'): MemoryFileSystem {
  return new MemoryFileSystem(memoryOptions.parse({ size }), silentLogger)
}

/** Asserts that `promise` rejects with an FsError carrying `code` (and its errno). */
export async function expectFsError(promise: Promise<unknown>, code: ErrnoName): Promise<FsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected ${code}`).toBeInstanceOf(FsError)
  const fsError = error as FsError
  expect(fsError.code).toBe(code)
  expect(fsError.errno).toBe(Errno[code])
  return fsError
}

/** Creates (or replaces the contents of) a file and closes it. */
export async function writeFile(fs: MemoryFileSystem, path: string, data: Buffer | string, mode = 0o644): Promise<void> {
  const fh = await fs.create(path, mode).catch(async (error: unknown) => {
    if (!(error instanceof FsError) || error.code !== 'EEXIST') throw error
    return fs.open(path, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)
  })
  await fs.write(path, fh, Buffer.from(data), 0)
  await fs.release(path, fh)
}

/** Reads a whole file through a fresh handle. */
export async function readFile(fs: MemoryFileSystem, path: string): Promise<Buffer> {
  const fh = await fs.open(path, OpenFlags.O_RDONLY)
  const { size } = await fs.fgetattr(path, fh)
  const buffer = Buffer.alloc(size)
  const count = await fs.read(path, fh, buffer, 0)
  await fs.release(path, fh)
  return buffer.subarray(0, count)
}

export async function names(fs: MemoryFileSystem, path: string): Promise<string[]> {
  return (await fs.readdir(path)).map((e) => e.name).sort()
}
