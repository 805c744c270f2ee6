import { constants } from 'node:fs'
import { OpenFlags, S_ISGID, S_ISUID, SetattrValid, setIdBitsClearedBySetattr, setIdBitsClearedByWrite, type Owned, type RequestContext, type SetattrRequest } from '@fusekit/core'
import { calls, check } from './source-calls.js'

const PERMISSIONS = 0o7777
const SET_ID = S_ISUID | S_ISGID
const { O_RDONLY, O_TRUNC } = constants
const { MODE, UID, GID, SIZE, ATIME, MTIME, CTIME } = SetattrValid
/** Its own stat array: callers may hold a stat of their own in statFields meanwhile. */
const fields = new Float64Array(18)

/**
 * The set-id rules (@fusekit/core's setIdBitsCleared*) applied to the source. A mount process running as root
 * acts on the source as root, for whom Linux clears little (CAP_FSETID), so the source keeps
 * bits it would clear for the caller: the backend clears them itself, for the caller each request
 * names. Any other mount process is cleared for by the source itself, as its own writes are.
 */
export class SourceSetId {
  /** `clears`: the mount process runs as root. */
  constructor(private readonly clears: boolean) {}

  static ofThisProcess(): SourceSetId {
    return new SourceSetId(process.geteuid?.() === 0)
  }

  /**
   * The mode a setattr by `ctx` through `fd` sets: the one asked for, or the file's when the
   * request clears set-id bits besides (a chown, a request naming no field, a truncate by anyone
   * but root), without those bits; undefined when the mode stays. Throws EPERM where Linux
   * refuses to clear them. Only such requests read the file's stat.
   */
  modeAfterSetattr(ctx: RequestContext, fd: number, { valid, mode }: SetattrRequest): number | undefined {
    const namesNoField = (valid & (MODE | UID | GID | SIZE | ATIME | MTIME | CTIME)) === 0
    const mayClear = this.clears && (valid & (UID | GID) || namesNoField || (valid & SIZE && ctx.uid !== 0))
    const owned = mayClear ? ownedOf(fd) : undefined
    const cleared = owned ? setIdBitsClearedBySetattr(ctx, owned, valid) : 0
    if (valid & MODE) return mode & PERMISSIONS & ~cleared
    return cleared ? owned!.mode & PERMISSIONS & ~cleared : undefined
  }

  /** Before a write, fallocate or copy by `ctx` into the open file `fd`: clears what Linux clears (one fstat, a fchmod if a bit goes). */
  clearForWrite(ctx: RequestContext, fd: number): void {
    if (!this.clears || ctx.uid === 0) return
    const owned = ownedOf(fd)
    clear(fd, owned, setIdBitsClearedByWrite(ctx, owned))
  }

  /**
   * After `fd` was opened with `flags` by `ctx`: clears what its O_TRUNC cleared, and answers
   * whether its writes must clear bits first (writesClear).
   */
  afterOpen(ctx: RequestContext, fd: number, flags: number): boolean {
    if (!this.clears || ctx.uid === 0 || ((flags & OpenFlags.O_ACCMODE) === O_RDONLY && !(flags & O_TRUNC))) return false
    const owned = ownedOf(fd)
    const cleared = flags & O_TRUNC ? setIdBitsClearedByWrite(ctx, owned) : 0
    clear(fd, owned, cleared)
    return this.writesClear(ctx, flags, owned.mode & ~cleared)
  }

  /**
   * Whether writes through a handle opened with `flags` by `ctx` on a file of `mode` must clear
   * set-id bits first: anyone but root writing a file with S_ISUID or S_ISGID. Such a handle's
   * writes must reach the backend (no FUSE passthrough: the kernel would write as the mount
   * process, root, and clear nothing).
   */
  writesClear(ctx: RequestContext, flags: number, mode: number): boolean {
    return this.clears && ctx.uid !== 0 && (flags & OpenFlags.O_ACCMODE) !== O_RDONLY && (mode & SET_ID) !== 0
  }
}

function ownedOf(fd: number): Owned {
  check(calls.statFd(fd, fields))
  return { mode: fields[1]!, uid: fields[3]!, gid: fields[4]! }
}

/** Clears `bits` of the open file `fd`, whose stat is `owned`. */
function clear(fd: number, owned: Owned, bits: number): void {
  if (bits !== 0) check(calls.setMode(fd, owned.mode & PERMISSIONS & ~bits, true))
}
