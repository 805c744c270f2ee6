import { closeSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import type { DriverMount, DriverMountRequest, InodeHandler } from '../driver.js'
import { Errno, FsError, mapErrno } from '../errno.js'
import { KernelSession } from './kernel-session.js'

/** The native half (native/fuse-session.c), built by the package's build into dist/. */
interface FuseSessionAddon {
  mount(mountpoint: string, source: string, type: string, data: string, readOnly: boolean): number
  unmount(mountpoint: string): void
  /** `onServed`: after a batch of requests in which serveDescriptor's handles were answered. */
  poll(fd: number, bufferSize: number, onRequest: (request: Buffer | number) => void, onServed: () => void): object
  stop(handle: object): void
  serveDescriptor(handle: object, fh: number, fd: number): void
  forgetDescriptor(handle: object, fh: number): void
  /** FUSE passthrough's backing files; a negative errno on failure. */
  backingOpen(devFd: number, fd: number): number
  backingClose(devFd: number, id: number): number
}

// Resolved from the package root, so that it works from src/ (tests) and dist/ alike.
const ADDON_PATH = new URL('../../dist/fuse-session.node', import.meta.url)

function loadAddon(): FuseSessionAddon {
  try {
    return createRequire(import.meta.url)(ADDON_PATH.pathname) as FuseSessionAddon
  } catch (error) {
    throw new FsError('ENOSYS', `the low-level FUSE driver is not built (${ADDON_PATH.pathname}): run pnpm build in packages/core`, { cause: error })
  }
}

/** Room for the largest request: a write of maxWrite bytes after its headers. */
const REQUEST_HEADROOM = 4096

/**
 * Speaks the FUSE kernel protocol itself on Node's thread: requests are read from /dev/fuse when
 * libuv reports it readable and answered with one write, with no thread hand-off in between.
 * Mounting needs root (no fusermount yet).
 */
export class LowLevelDriver {
  readonly layer = 'inode'
  private readonly addon = loadAddon()

  async mount({ mountpoint, handler, options, logger }: DriverMountRequest<InodeHandler>): Promise<DriverMount> {
    const path = resolve(mountpoint)
    const data = [`rootmode=40000`, `user_id=${process.getuid?.() ?? 0}`, `group_id=${process.getgid?.() ?? 0}`]
    if (options.allowOther) data.push('allow_other')
    if (options.defaultPermissions) data.push('default_permissions')
    let fd: number
    try {
      fd = this.addon.mount(path, options.fsname, `fuse.${options.subtype}`, data.join(','), options.readOnly)
    } catch (error) {
      const failure = withErrno(error)
      // It mounts with mount(2) itself; there is no fusermount path for ordinary users yet.
      if (failure instanceof FsError && (failure.code === 'EACCES' || failure.code === 'EPERM') && process.getuid?.() !== 0) {
        throw new FsError(failure.errno, 'the lowlevel driver needs root (it mounts without fusermount): run as root or use --driver fuse-native', { cause: error })
      }
      throw failure
    }
    let open = true
    const send = (reply: Buffer) => {
      // After close the number may belong to another file: late replies are dropped.
      if (!open) return
      try {
        writeSync(fd, reply)
      } catch {
        // ENOENT: the request was interrupted; ENODEV: unmounted. Nobody waits for this reply.
      }
    }
    const backing = {
      open: (file: number) => (open ? this.addon.backingOpen(fd, file) : -Errno.ENOTCONN),
      close: (id: number) => void (open && this.addon.backingClose(fd, id)),
    }
    const descriptors = {
      serve: (fh: number, file: number) => this.addon.serveDescriptor(poll, fh, file),
      forget: (fh: number) => this.addon.forgetDescriptor(poll, fh),
    }
    const session = new KernelSession(send, handler, options, logger, { backing, descriptors })
    // Closing the last descriptor of /dev/fuse ends the connection: callers still waiting get ENOTCONN.
    const close = () => {
      if (!open) return
      open = false
      this.addon.stop(poll)
      session.close()
      closeSync(fd)
    }
    // A number instead of a request: the kernel ended the session (ENODEV: unmounted).
    const poll = this.addon.poll(
      fd,
      options.maxWrite + REQUEST_HEADROOM,
      (request) => (typeof request === 'number' ? close() : session.handle(request)),
      () => handler.servedElsewhere(),
    )
    let unmounted: Promise<void> | undefined
    return {
      unmount: () =>
        (unmounted ??= (async () => {
          try {
            this.addon.unmount(path)
          } catch (error) {
            throw withErrno(error) // not mounted any more (unmounted from outside)
          } finally {
            close()
          }
        })()),
    }
  }
}

/** A system error from the addon as an FsError that keeps its message. */
function withErrno(error: unknown): unknown {
  const mapped = mapErrno(error)
  return mapped ? new FsError(mapped.errno, (error as Error).message, { cause: error }) : error
}
