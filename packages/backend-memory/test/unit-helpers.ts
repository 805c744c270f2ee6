import { CallerContext, FsError, OpenFlags, orThrow, pathsOverInodes, ROOT_INO, type MountOptions, type Operations, type RequestContext, type SetattrRequest } from '@fusekit/core'
import { noDirectoryRemovals, noResidentData, silentLogger } from '@fusekit/testkit'

export { expectFsError } from '@fusekit/testkit'
import { MemoryFileSystem, memoryOptions } from '../src/index.js'

export const KiB = 1024
export const MiB = 1024 * KiB

export { noDirectoryRemovals, noResidentData, silentLogger }

/** The user running the tests, as the caller of every request unless a test says otherwise. */
export const me = new CallerContext(process.getuid!(), process.getgid!(), process.pid)

/** A caller other than the test user; pid 0: no supplementary groups to read. */
export function caller(uid: number, gid: number, pid = 0): CallerContext {
  return new CallerContext(uid, gid, pid)
}

/** A fresh memory filesystem of the given capacity; the kernel checks permissions unless told otherwise. */
export function memoryFs(size: number | string = '64M', mountOptions: Partial<MountOptions> = {}): MemoryFileSystem {
  return new MemoryFileSystem(memoryOptions.parse({ size }), silentLogger, { defaultPermissions: true, allowOther: false, fuseOptions: [], ...mountOptions })
}

type Bound<T> = T extends (ctx: RequestContext, ...args: infer A) => infer R ? (...args: A) => R : never

/** Path operations with the caller's context bound; open and create give a handle. */
export type PathView = { [K in Exclude<keyof Operations, 'init' | 'destroy' | 'backingFd' | 'open' | 'create'>]-?: Bound<NonNullable<Operations[K]>> } & {
  open(path: string, flags: number): Promise<number>
  create(path: string, mode: number, flags: number): Promise<number>
}

/**
 * The filesystem through the path layer, as fuse-native reaches it: core's bridge resolves each
 * path by lookups from the root and forgets them when the call is done. For the tests written
 * in paths; the inode tests call the MemoryFileSystem itself.
 */
export function pathsOf(fs: MemoryFileSystem, ctx: RequestContext = me): PathView {
  const paths = pathsOverInodes(fs) as unknown as Record<string, (...args: unknown[]) => unknown>
  return new Proxy({} as PathView, {
    // Only the operations: awaiting the view must not find a `then`.
    get: (_target, name: string) => (name in paths ? (...args: unknown[]) => paths[name]!(ctx, ...args) : undefined),
  })
}

/** A fresh memory filesystem seen through paths, by the test user. */
export function memoryPaths(size: number | string = '64M'): PathView {
  return pathsOf(memoryFs(size))
}

/** Creates (or replaces the contents of) a file and closes it. */
export async function writeFile(fs: PathView, path: string, data: Buffer | string, mode = 0o644): Promise<void> {
  let fh: number
  try {
    fh = await fs.create(path, mode, OpenFlags.O_WRONLY)
  } catch (error) {
    if (!(error instanceof FsError) || error.code !== 'EEXIST') throw error
    fh = await fs.open(path, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)
  }
  await fs.write(path, fh, Buffer.from(data), 0)
  await fs.release(path, fh)
}

/** Reads a whole file through a fresh handle. */
export async function readFile(fs: PathView, path: string): Promise<Buffer> {
  const fh = await fs.open(path, OpenFlags.O_RDONLY)
  const { size } = await fs.getattr(path, fh)
  const buffer = Buffer.alloc(size)
  const count = await fs.read(path, fh, buffer, 0)
  await fs.release(path, fh)
  return buffer.subarray(0, count)
}

export async function names(fs: PathView, path: string): Promise<string[]> {
  return (await fs.readdir(path, 0, false)).map((e) => e.name).sort()
}

/** The inode at `path`, by lookups from the root that are given back at once. */
export async function inoOf(fs: MemoryFileSystem, path: string, ctx: RequestContext = me): Promise<number> {
  let ino = ROOT_INO
  for (const name of path.split('/').filter(Boolean)) {
    const parent = ino
    ino = orThrow(fs.lookup(ctx, parent, name)).ino
    if (parent !== ROOT_INO) fs.forget(parent, 1)
  }
  if (ino !== ROOT_INO) fs.forget(ino, 1)
  return ino
}

const NO_TIME = { sec: 0, nsec: 0 }

/** A setattr request changing what `valid` names (the other fields zero). */
export function setattrRequest(change: Partial<SetattrRequest> & { valid: number }): SetattrRequest {
  return { mode: 0, uid: 0, gid: 0, size: 0, atime: NO_TIME, mtime: NO_TIME, ctime: NO_TIME, ...change }
}
