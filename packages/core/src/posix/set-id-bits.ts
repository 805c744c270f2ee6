import { FsError } from '../errno.js'
import { SetattrValid } from '../inode-operations.js'
import type { RequestContext } from '../request-context.js'
import { FileType } from '../types.js'
import { MAY_WRITE, callerIsRoot, inGroup, ownsOrRoot, permits, type Owned } from './access.js'

/*
 * The set-user-ID and set-group-ID bits Linux clears when a file's data or owner changes. The
 * FUSE kernel module asks for part of it (a SETATTR of the mode before a write, a truncate or a
 * chown) but keeps its own older rule: S_ISGID only when group-executable. Linux also clears it
 * when the caller is outside the file's group (setattr_should_drop_sgid): a backend whose writes
 * reach it does that part, for the caller each request names.
 */

export const S_ISUID = 0o4000
export const S_ISGID = 0o2000
const S_IXGRP = 0o010
const { MODE, UID, GID, SIZE, ATIME, MTIME } = SetattrValid
/**
 * The fields a setattr request asks to change (not how it came: FH, "now" flags; nor CTIME,
 * which a kernel that keeps times itself, with the writeback cache, sends with every change).
 */
const ATTRIBUTES = MODE | UID | GID | SIZE | ATIME | MTIME

/** What a write, truncate, fallocate or copy into a regular file by `ctx` clears (setattr_should_drop_suidgid): nothing for root. */
export function setIdBitsClearedByWrite(ctx: RequestContext, node: Owned): number {
  if ((node.mode & (S_ISUID | S_ISGID)) === 0 || callerIsRoot(ctx)) return 0
  return S_ISUID | sgidDropped(ctx, node)
}

/** What a chown by `ctx` clears, even by root and without a change of owner (chown_common); directories keep theirs. */
export function setIdBitsClearedByChown(ctx: RequestContext, node: Owned): number {
  if ((node.mode & (S_ISUID | S_ISGID)) === 0 || (node.mode & FileType.S_IFMT) === FileType.S_IFDIR) return 0
  return S_ISUID | sgidDropped(ctx, node)
}

/**
 * What a setattr clears besides what it asks: a truncate's bits, and a chown's (UID or GID). A
 * setattr naming no field is a chown(-1, -1), or what the kernel sends before a write when its
 * own rule finds nothing to clear: either way a chown's bits go, which for anyone but root are a
 * write's too. Clearing one needs the owner, root or a writer: for a chown(-1, -1) that must
 * clear a bit Linux answers EPERM, as for a chmod.
 */
export function setIdBitsClearedBySetattr(ctx: RequestContext, node: Owned, valid: number): number {
  const noField = (valid & ATTRIBUTES) === 0
  const chown = noField || (valid & (UID | GID)) !== 0
  const cleared = node.mode & ((chown ? setIdBitsClearedByChown(ctx, node) : 0) | (valid & SIZE ? setIdBitsClearedByWrite(ctx, node) : 0))
  if (cleared !== 0 && noField && !ownsOrRoot(ctx, node) && !permits(ctx, node, MAY_WRITE)) throw new FsError('EPERM', 'only the owner changes the mode')
  return cleared
}

function sgidDropped(ctx: RequestContext, node: Owned): number {
  return node.mode & S_IXGRP || !(callerIsRoot(ctx) || inGroup(ctx, node.gid)) ? S_ISGID : 0
}
