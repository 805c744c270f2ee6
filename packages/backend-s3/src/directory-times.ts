import { Timespec, type Logger } from '@fusekit/core'
import { isDirectory } from './file-stat.js'
import type { MetadataCache } from './metadata-cache.js'
import { rewriteMetadata, type MetadataTarget } from './metadata-rewrite.js'
import type { ObjectLookup } from './object-lookup.js'

/** A directory's new times are written this long after its last change, or this long after its first unwritten one. */
const QUIET_MS = 1000
const LONGEST_MS = 5000

/**
 * Directory times that follow their entries, as POSIX has them: making, removing or renaming an
 * entry sets the directory's mtime and ctime to now. Here at once (in the cache), and in S3
 * shortly after: the marker is written with the new times once the directory has been quiet for
 * a second (at most five seconds after the first change), one write per burst of changes rather
 * than one per entry. Written for every pending directory at unmount too. The root has no marker:
 * its times change here only.
 */
export class DirectoryTimes {
  /** Directories whose times are not written yet, with the time of their last change. */
  private readonly pending = new Map<string, Timespec>()
  /** Writes in flight, by directory: an rmdir or rename waits for them (settle). */
  private readonly writing = new Map<string, Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private firstPendingAt = 0

  constructor(
    private readonly target: MetadataTarget,
    private readonly cache: MetadataCache,
    private readonly lookup: ObjectLookup,
    private readonly logger: Logger,
  ) {}

  /** An entry of `dir` was made, removed or renamed through this mount. */
  entryChanged(dir: string): void {
    const now = Timespec.now()
    const cached = this.cache.getStat(dir)
    if (cached) this.cache.setStat(dir, { ...cached.attributes, mtime: now, ctime: now }, { plain: cached.plain })
    if (dir === '/') return
    if (this.pending.size === 0) this.firstPendingAt = Date.now()
    this.pending.set(dir, now)
    this.schedule()
  }

  /** `dir` is being removed or renamed: nothing more is written for it, and what is being written ends first. */
  async settle(dir: string): Promise<void> {
    this.pending.delete(dir)
    await this.writing.get(dir)
  }

  /** Writes every pending directory's times now (unmount). */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const due = [...this.pending]
    this.pending.clear()
    await Promise.all(due.map(([dir, time]) => this.write(dir, time)))
  }

  private schedule(): void {
    clearTimeout(this.timer)
    const wait = Math.max(0, Math.min(QUIET_MS, this.firstPendingAt + LONGEST_MS - Date.now()))
    this.timer = setTimeout(() => void this.flush(), wait)
    this.timer.unref()
  }

  private write(dir: string, time: Timespec): Promise<void> {
    const previous = this.writing.get(dir) ?? Promise.resolve()
    const written = previous.then(async () => {
      try {
        const found = await this.lookup.find(dir)
        if (!found || !isDirectory(found.attributes)) return
        const attributes = { ...found.attributes, mtime: time, ctime: time }
        const { foreign } = await rewriteMetadata(this.target, dir, attributes, found.plain)
        this.lookup.changed(dir)
        this.cache.setStat(dir, attributes, { plain: Object.keys(foreign).length === 0 })
      } catch (error) {
        this.logger.debug(`s3: the new times of directory ${dir} were not written: ${(error as Error).message}`)
      }
    })
    this.writing.set(dir, written)
    void written.finally(() => this.writing.get(dir) === written && this.writing.delete(dir))
    return written
  }
}
