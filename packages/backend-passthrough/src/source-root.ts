import { chmodSync, closeSync, constants, openSync, readlinkSync } from 'node:fs'
import { FsError } from '@fusekit/core'
import { sys, toFsError } from './syscall.js'

// Linux's O_PATH (the same on x86_64 and aarch64); Node's fs.constants does not export it.
const O_PATH = 0o10000000
const PIN_OBJECT = O_PATH | constants.O_NOFOLLOW
const PIN_DIRECTORY = PIN_OBJECT | constants.O_DIRECTORY

// A request path is absolute, without empty, "." or ".." segments, without a trailing slash.
const UNSAFE_PATH = /\/\/|\/\.\.?(?:\/|$)|\/$|\0/

/** Reported when a pinned object turns out to lie outside the source (a symlink was swapped in). */
export type EscapeListener = (requestPath: string, resolvedTo: string) => void

/**
 * The source directory and the one way to reach things in it.
 *
 * Node has no *at() calls, so pinning stands in for them: a path is opened with O_PATH|O_NOFOLLOW
 * (no data access, no side effects, a final symlink is opened as itself), the kernel is asked
 * where that descriptor really is (/proc/self/fd/N), and only if it lies under the root does the
 * operation go ahead - through /proc/self/fd/N, which names that very inode, so a symlink swapped
 * in after the check cannot redirect it.
 */
export class SourceRoot {
  private readonly prefix: string

  constructor(
    /** The real path of the source (no symlinks in it). */
    readonly root: string,
    private readonly onEscape: EscapeListener,
  ) {
    this.prefix = root.endsWith('/') ? root : root + '/'
  }

  /** The source path of a request path; refuses anything but a plain absolute path. */
  resolve(path: string): string {
    if (path === '/') return this.root
    if (path[0] !== '/' || UNSAFE_PATH.test(path)) {
      throw new FsError('EACCES', `refusing ${JSON.stringify(path)}: not a plain absolute path inside the source`)
    }
    return this.root + path
  }

  /**
   * Runs `use` with a path that reaches the object at `path` itself: a symlink as the link, never
   * its target; nothing outside the root. The path stays valid until `use` (or its Promise) ends.
   */
  withObject<T>(path: string, use: (pinned: string) => T): T {
    const fd = this.pin(path, this.resolve(path), PIN_OBJECT)
    return closingAfter(fd, () => use(procPath(fd)))
  }

  /**
   * Runs `use` with `<pinned parent directory>/<name>` for `path`: the name is looked up inside a
   * directory known to lie under the root, so calls that do not follow a final symlink (lstat,
   * unlink, mkdir, open with O_NOFOLLOW, ...) act exactly there. The root itself is reached as
   * "<pinned root>/.", on which every creating or removing call fails as it should.
   * `dirFd` is the pinned parent (an O_PATH descriptor) for handing to a child process.
   */
  withEntry<T>(path: string, use: (entry: string, dirFd: number, name: string) => T): T {
    this.resolve(path)
    const cut = path.lastIndexOf('/')
    const parent = path === '/' ? '/' : path.slice(0, cut) || '/'
    const name = path === '/' ? '.' : path.slice(cut + 1)
    const fd = this.pin(parent, this.resolve(parent), PIN_DIRECTORY)
    return closingAfter(fd, () => use(`${procPath(fd)}/${name}`, fd, name))
  }

  /** withEntry for two paths at once (rename, link). */
  withEntries<T>(first: string, second: string, use: (a: string, b: string) => T): T {
    return this.withEntry(first, (a) => this.withEntry(second, (b) => use(a, b)))
  }

  private pin(requestPath: string, source: string, flags: number): number {
    const fd = sys(() => openSync(source, flags))
    let real: string
    try {
      real = readlinkSync(procPath(fd))
    } catch (error) {
      closeSync(fd)
      throw toFsError(error)
    }
    if (real !== this.root && !real.startsWith(this.prefix)) {
      closeSync(fd)
      this.onEscape(requestPath, real)
      throw new FsError('EACCES', `${requestPath} resolves outside the source`)
    }
    return fd
  }
}

function procPath(fd: number): string {
  return `/proc/self/fd/${fd}`
}

/** Runs `use`, then closes `fd` - after the Promise settles when `use` returns one. */
function closingAfter<T>(fd: number, use: () => T): T {
  let result: T
  try {
    result = use()
  } catch (error) {
    closeSync(fd)
    throw error
  }
  if (result instanceof Promise) return result.finally(() => closeSync(fd)) as T
  closeSync(fd)
  return result
}

/**
 * chmod of the object at `entry` itself (a path from withEntry), never of a symlink's target:
 * for a symlink Linux answers EOPNOTSUPP, as it cannot change a link's mode.
 */
export function chmodEntry(entry: string, mode: number): void {
  const fd = sys(() => openSync(entry, PIN_OBJECT))
  closingAfter(fd, () => sys(() => chmodSync(procPath(fd), mode)))
}
