import { closeSync, readFileSync, readlinkSync } from 'node:fs'

const CAPACITY = 128
// A held descriptor keeps its directory's inode alive: drop them all shortly after caching.
const LIFETIME_MS = 2000
// One char per byte: link contents compare exactly, whatever bytes the names hold.
const BYTES = 'latin1'

/** A cached directory descriptor. */
export interface Pinned {
  readonly fd: number
  /** What its /proc/self/fd link reads while it is where it was opened. */
  readonly path: string
  /** Borrowers that have not given it back; an evicted descriptor is closed when the last one does. */
  users: number
  evicted: boolean
}

/**
 * Directory descriptors (O_PATH) from earlier walks, keyed by their path below the root, so that
 * a request does not walk the whole path again. A descriptor follows its directory wherever it is
 * moved, so one is handed out only after the kernel confirms where the directory is now: its
 * /proc/self/fd link must read exactly <root's path>/<key>, and the root's own link must still
 * read <root's path>. Then it is the directory at that path, reached through real directories
 * only (the kernel's path of a directory names no symlink), inside the root: the guarantee of a
 * fresh walk, for two readlinks instead of an openat and a close per component. A directory
 * renamed or removed directly in the source fails the check and is walked again. Directories on
 * another mount than the root's are not kept: a held descriptor would make unmounting it fail
 * with EBUSY.
 */
export class PinnedDirectories {
  private readonly entries = new Map<string, Pinned>()
  private rootPath: string
  private readonly rootMount: string | undefined
  private flush: NodeJS.Timeout | undefined

  constructor(private readonly rootFd: number) {
    this.rootPath = readlinkSync(procPath(rootFd), BYTES)
    this.rootMount = mountId(rootFd)
  }

  /** The directory at `key` ("a/b") if cached and still there, lent until `giveBack`. */
  borrow(key: string): Pinned | undefined {
    const pinned = this.entries.get(key)
    if (pinned === undefined) return undefined
    if (!this.isInPlace(pinned)) {
      if (this.entries.get(key) === pinned) this.evict(key, pinned)
      return undefined
    }
    // Most recently used last: eviction takes the first.
    this.entries.delete(key)
    this.entries.set(key, pinned)
    pinned.users++
    return pinned
  }

  /** Takes over `fd`, just opened by a walk at `key`, and lends it to the caller. */
  add(key: string, fd: number): Pinned {
    const below = Buffer.from(key).toString(BYTES)
    const path = this.rootPath === '/' ? `/${below}` : `${this.rootPath}/${below}`
    // Lent once, closed when given back.
    if (this.rootMount === undefined || mountId(fd) !== this.rootMount) return { fd, path, users: 1, evicted: true }
    const previous = this.entries.get(key)
    if (previous !== undefined) this.evict(key, previous)
    if (this.entries.size >= CAPACITY) {
      const [oldestKey, oldest] = this.entries.entries().next().value!
      this.evict(oldestKey, oldest)
    }
    const pinned: Pinned = { fd, path, users: 1, evicted: false }
    this.entries.set(key, pinned)
    this.flush ??= setTimeout(() => this.clear(), LIFETIME_MS).unref()
    return pinned
  }

  giveBack(pinned: Pinned): void {
    if (--pinned.users === 0 && pinned.evicted) closeSync(pinned.fd)
  }

  /** Closes every descriptor (one in use when it is given back). */
  clear(): void {
    clearTimeout(this.flush)
    this.flush = undefined
    for (const [key, pinned] of this.entries) this.evict(key, pinned)
  }

  private evict(key: string, pinned: Pinned): void {
    this.entries.delete(key)
    pinned.evicted = true
    if (pinned.users === 0) closeSync(pinned.fd)
  }

  private isInPlace(pinned: Pinned): boolean {
    if (!linkReads(pinned.fd, pinned.path)) return false
    if (linkReads(this.rootFd, this.rootPath)) return true
    // The root was moved: nothing cached can be checked against its old path.
    this.clear()
    this.rootPath = readlinkSync(procPath(this.rootFd), BYTES)
    return false
  }
}

function linkReads(fd: number, expected: string): boolean {
  try {
    return readlinkSync(procPath(fd), BYTES) === expected
  } catch {
    return false
  }
}

/** The id of the mount a descriptor is on (as /proc/self/mountinfo numbers them). */
function mountId(fd: number): string | undefined {
  return /^mnt_id:\s*(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, BYTES))?.[1]
}

export function procPath(fd: number): string {
  return `/proc/self/fd/${fd}`
}
