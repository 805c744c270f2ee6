import { readFileSync } from 'node:fs'
import { FileType, FsError, SetattrValid, type RequestContext } from '@fusekit/core'

/*
 * The set-user-ID and set-group-ID bits Linux clears when a file's data or owner changes, for the
 * caller each request names. A stand-in with exactly the API of the memory backend's rules
 * (backend-memory/src/set-id-clearing.ts, with posix-permissions.ts): they belong in
 * @fusekit/core, shared by both backends; then this file goes and its importers import them
 * from there.
 */

export const S_ISUID = 0o4000
export const S_ISGID = 0o2000
const S_IXGRP = 0o010
const MAY_WRITE = 2
const { MODE, UID, GID, SIZE, ATIME, MTIME, CTIME } = SetattrValid
/** The fields of a setattr request (not how it came: FH, "now" flags). */
const ATTRIBUTES = MODE | UID | GID | SIZE | ATIME | MTIME | CTIME

/** What the rules look at on a file. */
export interface Owned {
  readonly mode: number
  readonly uid: number
  readonly gid: number
}

/** What a write, truncate, fallocate or copy into a regular file by `ctx` clears (setattr_should_drop_suidgid): nothing for root. */
export function setIdBitsClearedByWrite(ctx: RequestContext, node: Owned): number {
  if ((node.mode & (S_ISUID | S_ISGID)) === 0 || isRoot(ctx)) return 0
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
  if (cleared !== 0 && noField && !ownsOrRoot(ctx, node) && !mayWrite(ctx, node)) throw new FsError('EPERM', 'only the owner changes the mode')
  return cleared
}

function sgidDropped(ctx: RequestContext, node: Owned): number {
  return node.mode & S_IXGRP || !(isRoot(ctx) || inGroup(ctx, node.gid)) ? S_ISGID : 0
}

/** Only the uid is known: uid 0 is taken to hold root's capabilities (CAP_FSETID, CAP_FOWNER). */
function isRoot(ctx: RequestContext): boolean {
  return ctx.uid === 0
}

function ownsOrRoot(ctx: RequestContext, node: Owned): boolean {
  return isRoot(ctx) || ctx.uid === node.uid
}

/** Whether the mode bits let the caller (not root: ownsOrRoot is asked first) write the file. */
function mayWrite(ctx: RequestContext, node: Owned): boolean {
  const bits = ctx.uid === node.uid ? node.mode >> 6 : inGroup(ctx, node.gid) ? node.mode >> 3 : node.mode
  return (bits & MAY_WRITE) !== 0
}

/** Linux's in_group_p: `gid` is the caller's group, or one of its supplementary groups (from /proc). */
function inGroup(ctx: RequestContext, gid: number): boolean {
  return ctx.gid === gid || supplementaryGroups(ctx.pid).includes(gid)
}

function supplementaryGroups(pid: number): number[] {
  if (pid <= 0) return []
  let status: string
  try {
    status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'latin1')
  } catch {
    return []
  }
  const line = /^Groups:(.*)$/m.exec(status)?.[1] ?? ''
  return line.split(/\s+/).filter(Boolean).map(Number)
}
