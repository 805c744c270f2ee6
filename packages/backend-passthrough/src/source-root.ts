import { chmodSync, closeSync, constants, openSync } from 'node:fs'
import { FsError } from '@fusekit/core'
import { PinnedDirectories, procPath, type Pinned } from './pinned-directories.js'
import { sys } from './syscall.js'

// Linux's O_PATH (the same on x86_64 and aarch64); Node's fs.constants does not export it.
const O_PATH = 0o10000000
const PIN_OBJECT = O_PATH | constants.O_NOFOLLOW
const PIN_DIRECTORY = PIN_OBJECT | constants.O_DIRECTORY

// A request path is absolute, without empty, "." or ".." segments, without a trailing slash.
const UNSAFE_PATH = /\/\/|\/\.\.?(?:\/|$)|\/$|\0/

/**
 * The source directory and the one way to reach things in it.
 *
 * Node has no *at() calls; /proc/self/fd/N/<name> stands in for them: it looks `name` up in the
 * directory that descriptor N holds, whatever has happened to paths since. A request path is
 * walked one component at a time from a descriptor of the root, each directory opened with
 * O_PATH|O_NOFOLLOW|O_DIRECTORY (no data access, no side effects, and a symlink is refused, not
 * followed), so no symlink is ever followed: not one another process swaps in between the
 * kernel's lookup and the operation, not one that points into this very mount (which would make
 * the backend wait on itself). Directories opened on the way are kept a short while, and reused
 * only where the kernel confirms they still are (see PinnedDirectories).
 */
export class SourceRoot {
  private readonly rootFd: number
  private readonly directories: PinnedDirectories

  /** `root` is the real path of the source; it is held open from here on, whatever renames it. */
  constructor(root: string) {
    this.rootFd = sys(() => openSync(root, PIN_DIRECTORY))
    this.directories = new PinnedDirectories(this.rootFd)
  }

  /** Releases the descriptors; the SourceRoot is unusable afterwards. */
  close(): void {
    this.directories.clear()
    closeSync(this.rootFd)
  }

  /**
   * Runs `use` with `<pinned parent directory>/<name>` for `path`: calls that do not follow a
   * final symlink (lstat, unlink, mkdir, open with O_NOFOLLOW, ...) act exactly there. The root
   * itself is reached as "<root>/.", on which every creating or removing call fails as it should.
   * `dirFd` is the parent (an O_PATH descriptor), for handing to a child process. Everything
   * stays valid until `use` (or the Promise it returns) ends.
   */
  withEntry<T>(path: string, use: (entry: string, dirFd: number, name: string) => T): T {
    const names = components(path)
    const name = names.pop() ?? '.'
    const dir = this.walk(names)
    if (dir === undefined) return use(`${procPath(this.rootFd)}/${name}`, this.rootFd, name)
    return finallyAfter(() => this.directories.giveBack(dir), () => use(`${procPath(dir.fd)}/${name}`, dir.fd, name))
  }

  /**
   * Runs `use` with a path that reaches the object at `path` itself, a symlink as the link: calls
   * that follow symlinks and have no l* form in Node (chmod, access, statfs) act on that very inode.
   */
  withObject<T>(path: string, use: (pinned: string) => T): T {
    if (path === '/') return use(procPath(this.rootFd))
    return this.withEntry(path, (entry) => {
      const fd = sys(() => openSync(entry, PIN_OBJECT))
      return closingAfter(fd, () => use(procPath(fd)))
    })
  }

  /** Runs `use` with a path that reaches the directory at `path` itself (ENOTDIR if it is none). */
  withDirectory<T>(path: string, use: (dir: string) => T): T {
    const dir = this.walk(components(path))
    if (dir === undefined) return use(procPath(this.rootFd))
    return finallyAfter(() => this.directories.giveBack(dir), () => use(procPath(dir.fd)))
  }

  /** withEntry for two paths at once (rename, link). */
  withEntries<T>(first: string, second: string, use: (a: string, b: string) => T): T {
    return this.withEntry(first, (a) => this.withEntry(second, (b) => use(a, b)))
  }

  /**
   * The directory at `names` below the root (undefined for the root itself), borrowed: from the
   * deepest directory on the way that is cached and still in place, each further one is opened
   * without following a symlink.
   */
  private walk(names: readonly string[]): Pinned | undefined {
    if (names.length === 0) return undefined
    let key = names.join('/')
    let depth = names.length
    let dir: Pinned | undefined
    while ((dir = this.directories.borrow(key)) === undefined && --depth > 0) key = key.slice(0, key.lastIndexOf('/'))
    for (; depth < names.length; depth++) {
      const parentFd = dir?.fd ?? this.rootFd
      key = depth === 0 ? names[0]! : `${key}/${names[depth]}`
      try {
        const fd = sys(() => openSync(`${procPath(parentFd)}/${names[depth]}`, PIN_DIRECTORY))
        const child = this.directories.add(key, fd)
        if (dir) this.directories.giveBack(dir)
        dir = child
      } catch (error) {
        if (dir) this.directories.giveBack(dir)
        throw error
      }
    }
    return dir
  }
}

/** The names along a request path ("/a/b" → ["a", "b"], "/" → []); refuses anything but a plain absolute path. */
function components(path: string): string[] {
  if (path === '/') return []
  if (path[0] !== '/' || UNSAFE_PATH.test(path)) {
    throw new FsError('EACCES', `refusing ${JSON.stringify(path)}: not a plain absolute path inside the source`)
  }
  return path.slice(1).split('/')
}

/** Runs `use`, then closes `fd` - after the Promise settles when `use` returns one. */
function closingAfter<T>(fd: number, use: () => T): T {
  return finallyAfter(() => closeSync(fd), use)
}

/** Runs `use`, then `done` - after the Promise settles when `use` returns one. */
function finallyAfter<T>(done: () => void, use: () => T): T {
  let result: T
  try {
    result = use()
  } catch (error) {
    done()
    throw error
  }
  if (result instanceof Promise) return result.finally(done) as T
  done()
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
