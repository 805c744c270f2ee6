import { CallerContext, errnoName, FileType, FsError, OpenFlags, type DirEntry, type Operations, type Stat, type StatVfs, type Timespec } from '@fusekit/core'
import { assert } from '../cases/assertions.js'

const CHUNK = 128 * 1024

/** An FsError, also from another copy of @fusekit/core than the kit's. */
function isFsError(error: unknown): error is { errno: number; message: string } {
  return error instanceof Error && error.name === 'FsError' && typeof (error as { errno?: unknown }).errno === 'number'
}

/** What the kernel answers for an operation the backend left out (see Operations). */
function missing(name: string): FsError {
  return new FsError(name.endsWith('xattr') ? 'EOPNOTSUPP' : 'ENOSYS', `the backend has no ${name}`)
}

/**
 * A backend's operations as a small path API for one caller, the way the kernel would drive them
 * (lookups from the root, forgotten after each call; handles opened and released). Every failure
 * must be an FsError: anything else thrown fails the case, as the kernel would get EIO.
 */
export class ContractFs {
  constructor(
    private readonly paths: Operations,
    private readonly ctx: CallerContext,
  ) {}

  /** The same filesystem seen by another caller (create, mkdir and mknod get the umask). */
  as(uid: number, gid: number, umask = 0o022): ContractFs {
    const ctx = new CallerContext(uid, gid, process.pid)
    ctx.umask = umask
    return new ContractFs(this.paths, ctx)
  }

  /** 'ok' when the operation succeeds, else the errno name of its FsError ('ENOENT'). */
  async errno(operation: Promise<unknown>): Promise<string> {
    try {
      await operation
      return 'ok'
    } catch (error) {
      if (isFsError(error)) return errnoName(error.errno)
      throw error
    }
  }

  getattr(path: string, fh?: number): Promise<Stat> {
    return this.call('getattr', path, fh)
  }

  statfs(path: string): Promise<StatVfs> {
    return this.call('statfs', path)
  }

  mkdir(path: string, mode = 0o755): Promise<void> {
    return this.call('mkdir', path, mode & ~this.ctx.umask)
  }

  rmdir(path: string): Promise<void> {
    return this.call('rmdir', path)
  }

  unlink(path: string): Promise<void> {
    return this.call('unlink', path)
  }

  rename(from: string, to: string, flags = 0): Promise<void> {
    return this.call('rename', from, to, flags)
  }

  symlink(target: string, path: string): Promise<void> {
    return this.call('symlink', target, path)
  }

  readlink(path: string): Promise<string> {
    return this.call('readlink', path)
  }

  link(existing: string, path: string): Promise<void> {
    return this.call('link', existing, path)
  }

  chmod(path: string, mode: number, fh?: number): Promise<void> {
    return this.call('chmod', path, mode, fh)
  }

  chown(path: string, uid: number, gid: number): Promise<void> {
    return this.call('chown', path, uid, gid)
  }

  truncate(path: string, size: number, fh?: number): Promise<void> {
    return this.call('truncate', path, size, fh)
  }

  utimens(path: string, atime: Timespec | undefined, mtime: Timespec | undefined): Promise<void> {
    return this.call('utimens', path, atime, mtime)
  }

  setxattr(path: string, name: string, value: Buffer, flags = 0): Promise<void> {
    return this.call('setxattr', path, name, value, flags)
  }

  getxattr(path: string, name: string): Promise<Buffer> {
    return this.call('getxattr', path, name)
  }

  listxattr(path: string): Promise<string[]> {
    return this.call('listxattr', path)
  }

  removexattr(path: string, name: string): Promise<void> {
    return this.call('removexattr', path, name)
  }

  /** Creates and opens a regular file, as the kernel does without a create operation: mknod, then open. */
  async create(path: string, mode = 0o644, flags = OpenFlags.O_RDWR): Promise<number> {
    const masked = mode & ~this.ctx.umask
    if (!this.paths.create) {
      await this.call('mknod', path, FileType.S_IFREG | masked, 0)
      return this.open(path, flags)
    }
    return ((await this.call('create', path, masked, flags | OpenFlags.O_CREAT)) as number | undefined) ?? 0
  }

  /** Opens a file; a backend without open needs no handle (0). */
  async open(path: string, flags = OpenFlags.O_RDONLY): Promise<number> {
    if (!this.paths.open) return 0
    return ((await this.call('open', path, flags)) as number | undefined) ?? 0
  }

  async release(path: string, fh: number): Promise<void> {
    if (this.paths.release) await this.call('release', path, fh)
  }

  /** Reads up to `length` bytes at `position` through an open handle. */
  async readAt(path: string, fh: number, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length)
    const count = (await this.call('read', path, fh, buffer, position)) as number
    assert.ok(Number.isInteger(count) && count >= 0 && count <= length, `read of ${length} bytes at ${position} of ${path} answered ${count}`)
    return buffer.subarray(0, count)
  }

  async writeAt(path: string, fh: number, data: Buffer, position: number): Promise<void> {
    const count = (await this.call('write', path, fh, data, position)) as number
    assert.equal(count, data.length, `bytes written at ${position} of ${path}`)
  }

  /** Creates (or empties) a file, writes `data` in kernel-sized pieces, and closes it. */
  async writeFile(path: string, data: Buffer | string, mode = 0o644): Promise<void> {
    const bytes = Buffer.from(data)
    const fh = await this.create(path, mode, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)
    try {
      for (let at = 0; at < bytes.length; at += CHUNK) await this.writeAt(path, fh, bytes.subarray(at, at + CHUNK), at)
    } finally {
      await this.release(path, fh)
    }
  }

  /** Opens a file, writes `data` at `position`, and closes it. */
  async write(path: string, data: Buffer | string, position: number): Promise<void> {
    const fh = await this.open(path, OpenFlags.O_WRONLY)
    try {
      await this.writeAt(path, fh, Buffer.from(data), position)
    } finally {
      await this.release(path, fh)
    }
  }

  /** Opens a file, reads `length` bytes at `position`, and closes it. */
  async read(path: string, position: number, length: number): Promise<Buffer> {
    const fh = await this.open(path)
    try {
      return await this.readAt(path, fh, position, length)
    } finally {
      await this.release(path, fh)
    }
  }

  /** The whole file, read in kernel-sized pieces until a read answers 0. */
  async readFile(path: string): Promise<Buffer> {
    const fh = await this.open(path)
    const pieces: Buffer[] = []
    try {
      for (let at = 0; ; ) {
        const piece = await this.readAt(path, fh, at, CHUNK)
        if (piece.length === 0) break
        pieces.push(piece)
        at += piece.length
      }
    } finally {
      await this.release(path, fh)
    }
    return Buffer.concat(pieces)
  }

  /** A directory's entries, without . and .. (opendir, readdir, releasedir). */
  async readdir(path: string): Promise<DirEntry[]> {
    const fh = this.paths.opendir ? (((await this.call('opendir', path, OpenFlags.O_RDONLY)) as number | undefined) ?? 0) : 0
    try {
      const entries = (await this.call('readdir', path, fh, false)) as DirEntry[]
      return entries.filter((entry) => entry.name !== '.' && entry.name !== '..')
    } finally {
      if (this.paths.releasedir) await this.call('releasedir', path, fh)
    }
  }

  /** The names in a directory, sorted. */
  async list(path: string): Promise<string[]> {
    return (await this.readdir(path)).map((entry) => entry.name).sort()
  }

  private async call<T = unknown>(name: keyof Operations, ...args: unknown[]): Promise<T> {
    const op = this.paths[name] as ((...a: unknown[]) => Promise<T>) | undefined
    if (typeof op !== 'function') throw missing(name)
    try {
      return await op.call(this.paths, this.ctx, ...args)
    } catch (error) {
      if (isFsError(error)) throw error
      throw new assert.AssertionError({ message: `${name}(${args.filter((a) => typeof a === 'string').join(', ')}) threw ${String(error)} instead of an FsError: the kernel would get EIO` })
    }
  }
}
