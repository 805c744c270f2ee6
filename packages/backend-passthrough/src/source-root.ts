import { closeSync, constants, openSync } from 'node:fs'
import { Errno, FsError } from '@fusekit/core'
import { calls, check } from './source-calls.js'
import { sys } from './syscall.js'

// Linux's O_PATH (the same on x86_64 and aarch64); Node's fs.constants does not export it.
const O_PATH = 0o10000000
const { O_DIRECTORY, O_NOFOLLOW } = constants

// A request path is absolute, without empty, "." or ".." segments, without a trailing slash.
const UNSAFE_PATH = /\/\/|\/\.\.?(?:\/|$)|\/$|\0/

/**
 * The source directory and the one way to reach things in it: every path is resolved by the
 * kernel beneath a descriptor of the root, with openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
 * so no lookup leaves the root and no symlink is followed on the way: not one another process
 * swaps in between the kernel's lookup and the operation, not one that points into this very
 * mount (which would make the backend wait on itself). The calls then act on a name in the
 * directory found (unlinkat, fstatat with AT_SYMLINK_NOFOLLOW, ...), never following a final link.
 */
export class SourceRoot {
  private readonly rootFd: number

  /** `root` is the real path of the source; it is held open from here on, whatever renames it. */
  constructor(root: string) {
    this.rootFd = sys(() => openSync(root, O_PATH | O_DIRECTORY | O_NOFOLLOW))
    const probe = calls.openBeneath(this.rootFd, '.', O_PATH | O_DIRECTORY, 0)
    if (probe === -Errno.ENOSYS) {
      this.close()
      throw new FsError('ENOSYS', 'the passthrough backend needs openat2(2): Linux 5.6 or later')
    }
    closeSync(check(probe))
  }

  /** Releases the root's descriptor; the SourceRoot is unusable afterwards. */
  close(): void {
    closeSync(this.rootFd)
  }

  /**
   * Opens the object at `path` with `flags` (a final symlink is refused with ELOOP unless the
   * flags hold O_PATH | O_NOFOLLOW, which open the link itself). The caller closes it.
   */
  open(path: string, flags: number, mode = 0): number {
    return check(calls.openBeneath(this.rootFd, relative(path), flags | O_NOFOLLOW, mode))
  }

  /**
   * Runs `use` with the directory holding `path` (an O_PATH descriptor) and the final name:
   * calls made with both act exactly there. The root itself is "." in the root.
   */
  withEntry<T>(path: string, use: (dirFd: number, name: string) => T): T {
    const rel = relative(path)
    const slash = rel.lastIndexOf('/')
    if (slash < 0) return use(this.rootFd, rel)
    return this.withOpen(rel.slice(0, slash), O_PATH | O_DIRECTORY, (dirFd) => use(dirFd, rel.slice(slash + 1)))
  }

  /** withEntry for two paths at once (rename, link). */
  withEntries<T>(first: string, second: string, use: (dirA: number, nameA: string, dirB: number, nameB: string) => T): T {
    return this.withEntry(first, (dirA, nameA) => this.withEntry(second, (dirB, nameB) => use(dirA, nameA, dirB, nameB)))
  }

  /** Runs `use` with an O_PATH descriptor of the directory at `path` (ENOTDIR if it is none). */
  withDirectory<T>(path: string, use: (dirFd: number) => T): T {
    if (path === '/') return use(this.rootFd)
    return this.withOpen(relative(path), O_PATH | O_DIRECTORY, use)
  }

  /**
   * Runs `use` with /proc/self/fd/N for the object at `path` itself, a symlink as the link: calls
   * that follow symlinks and have no *at form in Node (chmod, access, statfs) act on that very inode.
   */
  withObject<T>(path: string, use: (object: string) => T): T {
    return this.withOpen(relative(path), O_PATH | O_NOFOLLOW, (fd) => use(procPath(fd)))
  }

  /** Opens `rel` beneath the root, runs `use` with the descriptor, closes it (after a returned Promise settles). */
  private withOpen<T>(rel: string, flags: number, use: (fd: number) => T): T {
    const fd = check(calls.openBeneath(this.rootFd, rel, flags, 0))
    let result: T
    try {
      result = use(fd)
    } catch (error) {
      closeSync(fd)
      throw error
    }
    if (result instanceof Promise) return result.finally(() => closeSync(fd)) as T
    closeSync(fd)
    return result
  }
}

/** A request path relative to the root ("/a/b" → "a/b", "/" → "."); refuses anything but a plain absolute path. */
function relative(path: string): string {
  if (path === '/') return '.'
  if (path[0] !== '/' || UNSAFE_PATH.test(path)) {
    throw new FsError('EACCES', `refusing ${JSON.stringify(path)}: not a plain absolute path inside the source`)
  }
  return path.slice(1)
}

function procPath(fd: number): string {
  return `/proc/self/fd/${fd}`
}
