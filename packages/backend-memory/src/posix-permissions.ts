import { readFileSync } from 'node:fs'
import { FileType, type RequestContext } from '@fusekit/core'

/** What is asked of a file, as access(2)'s mask and Linux's MAY_* bits. */
export const MAY_READ = 4
export const MAY_WRITE = 2
export const MAY_EXEC = 1

/** What the POSIX rules look at on a file. */
export interface Owned {
  readonly mode: number
  readonly uid: number
  readonly gid: number
}

const ANY_EXEC = 0o111

/**
 * The caller is root. Only the uid is known (not the capabilities): uid 0 is taken to hold what
 * root holds on Linux (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN, CAP_FSETID).
 */
export function isRoot(ctx: RequestContext): boolean {
  return ctx.uid === 0
}

/** Linux's inode_owner_or_capable: the caller owns the file, or is root. */
export function ownsOrRoot(ctx: RequestContext, node: Owned): boolean {
  return isRoot(ctx) || ctx.uid === node.uid
}

/**
 * Linux's generic_permission: whether the mode bits grant `mask` (MAY_* bits) to the caller.
 * Root may read and write anything and search any directory, but execute only a file someone
 * may execute.
 */
export function permits(ctx: RequestContext, node: Owned, mask: number): boolean {
  if (isRoot(ctx)) return (mask & MAY_EXEC) === 0 || (node.mode & FileType.S_IFMT) === FileType.S_IFDIR || (node.mode & ANY_EXEC) !== 0
  let bits = node.mode
  if (ctx.uid === node.uid) bits >>= 6
  // Membership matters only where the group's bits differ from everyone's: then it is looked up.
  else if ((mask & (bits ^ (bits >> 3))) !== 0 && inGroup(ctx, node.gid)) bits >>= 3
  return (mask & ~bits & 7) === 0
}

/** Linux's in_group_p: `gid` is the caller's group, or one of its supplementary groups. */
export function inGroup(ctx: RequestContext, gid: number): boolean {
  return ctx.gid === gid || supplementaryGroups(ctx.pid).includes(gid)
}

/**
 * The supplementary groups of the calling thread, from /proc (the kernel does not send them);
 * none when the caller is unknown (pid 0) or already gone.
 */
export function supplementaryGroups(pid: number): number[] {
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
