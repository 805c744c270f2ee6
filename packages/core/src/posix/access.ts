import { FileType } from '../types.js'
import type { RequestContext } from '../request-context.js'

/*
 * Linux's permission rules, for backends that check permissions themselves (a mount without
 * default_permissions) or apply rules that depend on who calls. Only the caller's ids are known,
 * not its capabilities: uid 0 is taken to hold what root holds on Linux (CAP_DAC_OVERRIDE,
 * CAP_FOWNER, CAP_CHOWN, CAP_FSETID).
 */

/** What is asked of a file, as access(2)'s mask and Linux's MAY_* bits. */
export const MAY_READ = 4
export const MAY_WRITE = 2
export const MAY_EXEC = 1

/** What the rules look at on a file: a Stat will do. */
export interface Owned {
  readonly mode: number
  readonly uid: number
  readonly gid: number
}

const ANY_EXEC = 0o111

export function callerIsRoot(ctx: RequestContext): boolean {
  return ctx.uid === 0
}

/** Linux's inode_owner_or_capable: the caller owns the file, or is root. */
export function ownsOrRoot(ctx: RequestContext, node: Owned): boolean {
  return callerIsRoot(ctx) || ctx.uid === node.uid
}

/**
 * Linux's generic_permission: whether the mode bits grant `mask` (MAY_* bits) to the caller.
 * Root may read and write anything and search any directory, but execute only a file someone
 * may execute.
 */
export function permits(ctx: RequestContext, node: Owned, mask: number): boolean {
  if (callerIsRoot(ctx)) return (mask & MAY_EXEC) === 0 || (node.mode & FileType.S_IFMT) === FileType.S_IFDIR || (node.mode & ANY_EXEC) !== 0
  let bits = node.mode
  if (ctx.uid === node.uid) bits >>= 6
  // Membership matters only where the group's bits differ from everyone's: then it is looked up.
  else if ((mask & (bits ^ (bits >> 3))) !== 0 && inGroup(ctx, node.gid)) bits >>= 3
  return (mask & ~bits & 7) === 0
}

/** Linux's in_group_p: `gid` is the caller's group, or one of its supplementary groups. */
export function inGroup(ctx: RequestContext, gid: number): boolean {
  return ctx.gid === gid || ctx.groups.includes(gid)
}
