import { constants } from 'node:fs'
import { promisify } from 'node:util'
import { Errno } from '../errno.js'
import type { DriverMount, DriverMountRequest, PathHandler, Reply } from '../driver.js'
import { fuseOptionList } from '../mount-options.js'
import { forceUnmount, mountState } from '../mount-state.js'
import type { RequestName } from '../operations.js'
import { CallerContext } from '../request-context.js'
import { entryIdentity, type DirEntry, type Stat, type StatVfs } from '../types.js'
import { loadFuseNative, type FuseNativeClass, type NativeCallback } from './load.js'
import { encodeIdentity, encodeStat, resolveTimes, toNativeStatVfs } from './values.js'

type Signal = (errno: number, ...values: unknown[]) => void
type NativeHandler = (nativeLocals: Buffer, opCode: number, ...args: unknown[]) => unknown

// fuse-native's opcode for utimens and the offsets of atime/mtime in its per-thread
// fuse_thread_locals_t (x86_64/aarch64 layout): its C side passes atime twice and loses mtime,
// but the struct the JS handler receives still holds it.
const OP_UTIMENS = 12
const ATIME_OFFSET = 104
const MTIME_OFFSET = 112
const ENODATA = Errno.ENODATA
const ERANGE = Errno.ERANGE

/** Mounts through fuse-native (libfuse 2.9's high-level API, multi-threaded loop): the path layer. */
export class FuseNativeDriver {
  readonly layer = 'path'
  // Loaded up front so that a missing libfuse fails before any backend is created.
  private readonly Fuse = fusekitFuse(loadFuseNative())

  async mount({ mountpoint, handler, options }: DriverMountRequest<PathHandler>): Promise<DriverMount> {
    const fuse = new this.Fuse(mountpoint, nativeOps(handler), {
      // fusekit's dispatcher times requests out itself, without a timer per request.
      timeout: false,
      fusekitOptions: fuseOptionList(options),
      fusekitHandler: handler,
    })
    try {
      await promisify(fuse.mount.bind(fuse))()
    } catch (error) {
      // libfuse mounts before it parses its own options: a failure may leave the mount behind.
      if ((await mountState(mountpoint)) !== 'unmounted') await forceUnmount(mountpoint).catch(() => {})
      throw error
    }
    let unmounted: Promise<void> | undefined
    return {
      unmount: () => (unmounted ??= promisify(fuse.unmount.bind(fuse))()),
    }
  }
}

/**
 * The caller as far as fuse-native tells: libfuse 2's context (uid, gid, pid of the caller) does
 * not reach JavaScript, so every request is the mounting user's.
 */
function mounterRequest(): CallerContext {
  return new CallerContext(MOUNTER_UID, MOUNTER_GID, 0, MOUNTER_GROUPS)
}

const MOUNTER_UID = process.geteuid?.() ?? 0
const MOUNTER_GID = process.getegid?.() ?? 0
const MOUNTER_GROUPS = process.getgroups?.() ?? []

/** fuse-native gives create no open flags. */
const CREATE_FLAGS = constants.O_RDWR | constants.O_CREAT

/** Callback-style operations in fuse-native's shape, for the requests it handles well itself. */
function nativeOps(handler: PathHandler): Record<string, unknown> {
  const ops: Record<string, unknown> = {}
  const call = <K extends RequestName>(name: K, args: unknown[], reply: Reply<unknown>) =>
    handler.dispatch(name, [mounterRequest(), ...args] as never, reply as never)
  const done = (cb: NativeCallback): Reply<unknown> => (errno) => cb(-errno)
  const withValue = (cb: NativeCallback, encode: (value: never) => unknown = (v) => v): Reply<unknown> =>
    (errno, value) => (errno ? cb(-errno) : cb(0, encode(value as never)))
  const count = (cb: NativeCallback): Reply<unknown> => (errno, n) => cb(errno ? -errno : (n as number))

  // fuse-native is untyped and each operation's callback has its own shape; the key is fuse-native's name.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const define: Record<string, [RequestName, (...args: any[]) => void]> = {
    // getattr, fgetattr, readdir, utimens, getxattr and listxattr are answered in FusekitFuse.
    getattr: ['getattr', () => {}],
    fgetattr: ['getattr', () => {}],
    readdir: ['readdir', () => {}],
    utimens: ['utimens', () => {}],
    getxattr: ['getxattr', () => {}],
    listxattr: ['listxattr', () => {}],
    access: ['access', (path, mode, cb) => call('access', [path, mode], done(cb))],
    statfs: ['statfs', (path, cb) => call('statfs', [path], withValue(cb, (s: StatVfs) => toNativeStatVfs(s)))],
    opendir: ['opendir', (path, _fh, cb) => call('opendir', [path, 0], withValue(cb, (fh?: number) => fh ?? 0))],
    releasedir: ['releasedir', (path, fh, cb) => call('releasedir', [path, fh], done(cb))],
    fsyncdir: ['fsyncdir', (path, datasync, fh, cb) => call('fsyncdir', [path, !!datasync, fh], done(cb))],
    open: ['open', (path, flags, cb) => call('open', [path, flags], withValue(cb, (fh?: number) => fh ?? 0))],
    create: ['create', (path, mode, cb) => call('create', [path, mode, CREATE_FLAGS], withValue(cb, (fh?: number) => fh ?? 0))],
    read: ['read', (path, fh, buf: Buffer, len, pos, cb) => call('read', [path, fh, sized(buf, len), pos], count(cb))],
    write: ['write', (path, fh, buf: Buffer, len, pos, cb) => call('write', [path, fh, sized(buf, len), pos], count(cb))],
    flush: ['flush', (path, fh, cb) => call('flush', [path, fh], done(cb))],
    release: ['release', (path, fh, cb) => call('release', [path, fh], done(cb))],
    fsync: ['fsync', (path, datasync, fh, cb) => call('fsync', [path, !!datasync, fh], done(cb))],
    truncate: ['truncate', (path, size, cb) => call('truncate', [path, size], done(cb))],
    ftruncate: ['truncate', (path, fh, size, cb) => call('truncate', [path, size, fh], done(cb))],
    chmod: ['chmod', (path, mode, cb) => call('chmod', [path, mode], done(cb))],
    chown: ['chown', (path, uid, gid, cb) => call('chown', [path, uid, gid], done(cb))],
    mknod: ['mknod', (path, mode, dev, cb) => call('mknod', [path, mode, dev], done(cb))],
    mkdir: ['mkdir', (path, mode, cb) => call('mkdir', [path, mode], done(cb))],
    rmdir: ['rmdir', (path, cb) => call('rmdir', [path], done(cb))],
    unlink: ['unlink', (path, cb) => call('unlink', [path], done(cb))],
    rename: ['rename', (from, to, cb) => call('rename', [from, to, 0], done(cb))],
    link: ['link', (existing, newPath, cb) => call('link', [existing, newPath], done(cb))],
    symlink: ['symlink', (target, linkPath, cb) => call('symlink', [target, linkPath], done(cb))],
    readlink: ['readlink', (path, cb) => call('readlink', [path], withValue(cb))],
    setxattr: ['setxattr', (path, name, value: Buffer, _position, flags, cb) => call('setxattr', [path, name, value, flags], done(cb))],
    removexattr: ['removexattr', (path, name, cb) => call('removexattr', [path, name], done(cb))],
  }
  for (const [nativeName, [name, fn]] of Object.entries(define)) {
    // fuse-native registers with libfuse only the operations present here; the rest keep libfuse's default.
    if (handler.implements(name)) ops[nativeName] = fn
  }
  return ops
}

function sized(buf: Buffer, len: number): Buffer {
  return buf.length === len ? buf : buf.subarray(0, len)
}

const subclasses = new WeakMap<FuseNativeClass, FuseNativeClass>()

/** fuse-native's Fuse with its quirks mended; see docs/architecture.md. */
function fusekitFuse(Fuse: FuseNativeClass): FuseNativeClass {
  const cached = subclasses.get(Fuse)
  if (cached) return cached

  // fuse-native is untyped JavaScript; its internals are reached through this loose view.
  const Base = Fuse as unknown as new (...args: unknown[]) => {
    opts: { fusekitOptions: string[]; fusekitHandler: PathHandler }
  }

  class FusekitFuse extends Base {
    private capturedTimes?: [number, number]

    private get handler(): PathHandler {
      return this.opts.fusekitHandler
    }

    // Its option builder lacks use_ino, big_writes, max_write and drops falsy values.
    _fuseOptions(): string {
      return '-o' + this.opts.fusekitOptions.join(',')
    }

    _makeHandlerArray(): NativeHandler[] {
      const handlers = (Base.prototype as unknown as { _makeHandlerArray(): NativeHandler[] })._makeHandlerArray.call(this)
      const utimens = handlers[OP_UTIMENS]
      if (utimens) {
        handlers[OP_UTIMENS] = (locals, opCode, ...args) => {
          this.capturedTimes = [Number(locals.readBigUInt64LE(ATIME_OFFSET)), Number(locals.readBigUInt64LE(MTIME_OFFSET))]
          return utimens(locals, opCode, ...args)
        }
      }
      return handlers
    }

    _op_getattr(signal: Signal, path: string): void {
      this.handler.dispatch('getattr', [mounterRequest(), path], statReply(signal))
    }

    // fuse-native would call getattr without the handle.
    _op_fgetattr(signal: Signal, path: string, fh: number): void {
      this.handler.dispatch('getattr', [mounterRequest(), path, fh], statReply(signal))
    }

    _op_readdir(signal: Signal, path: string): void {
      this.handler.dispatch('readdir', [mounterRequest(), path, 0, false], (errno, entries?: DirEntry[]) => {
        if (errno) return signal(-errno)
        const list = entries ?? []
        const names = list.map((e) => e.name)
        // The C side uses the stats only when every entry has one, and libfuse 2 reads only the
        // inode number and type from them.
        const identities = list.map(entryIdentity)
        const stats = identities.every((e) => e.type !== 0) ? identities.map(encodeIdentity) : []
        signal(0, names, stats)
      })
    }

    _op_utimens(signal: Signal, path: string, atimeLow: number, atimeHigh: number): void {
      const passedAtime = atimeLow + atimeHigh * 0x1_0000_0000
      const [atimeMs, mtimeMs] = this.capturedTimes ?? [passedAtime, passedAtime]
      this.capturedTimes = undefined
      // A layout we do not know: fall back to what fuse-native passed.
      const [atime, mtime] = atimeMs === passedAtime ? resolveTimes(atimeMs, mtimeMs) : resolveTimes(passedAtime, passedAtime)
      this.handler.dispatch('utimens', [mounterRequest(), path, atime, mtime], (errno) => signal(-errno))
    }

    // fuse-native copies a value longer than the caller's buffer instead of answering ERANGE.
    _op_getxattr(signal: Signal, path: string, name: string, valueBuf: Buffer): void {
      this.handler.dispatch('getxattr', [mounterRequest(), path, name], (errno, value?: Buffer) => {
        if (errno) return signal(-errno, valueBuf.buffer)
        if (!value) return signal(-ENODATA, valueBuf.buffer)
        if (valueBuf.length === 0) return signal(value.length, valueBuf.buffer)
        if (value.length > valueBuf.length) return signal(-ERANGE, valueBuf.buffer)
        value.copy(valueBuf)
        signal(value.length, valueBuf.buffer)
      })
    }

    // fuse-native overruns a short buffer and pads size queries; answer exactly, or ERANGE.
    _op_listxattr(signal: Signal, path: string, listBuf: Buffer): void {
      this.handler.dispatch('listxattr', [mounterRequest(), path], (errno, names?: string[]) => {
        if (errno) return signal(-errno, listBuf.buffer)
        const list = Buffer.from((names ?? []).map((n) => n + '\0').join(''))
        if (listBuf.length === 0) return signal(list.length, listBuf.buffer)
        if (list.length > listBuf.length) return signal(-ERANGE, listBuf.buffer)
        list.copy(listBuf)
        signal(list.length, listBuf.buffer)
      })
    }
  }

  const result = FusekitFuse as unknown as FuseNativeClass
  subclasses.set(Fuse, result)
  return result
}

function statReply(signal: Signal): Reply<Stat> {
  return (errno, stat) => (errno ? signal(-errno) : signal(0, encodeStat(stat as Stat)))
}
