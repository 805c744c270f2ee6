import type { RequestContext } from '@fusekit/core'
import { THIS_PROCESS } from './source-calls.js'

/**
 * Who the objects made through the mount belong to. A mount run by root makes them the
 * caller's (the uid and gid the kernel sends with the request), as a local filesystem would: the
 * native calls take the caller's filesystem ids for the call that creates the object
 * (native/caller-ids.h says why that and not a chown afterwards), and in a set-group-ID
 * directory of the source the group is the directory's. Anyone else can only make files as
 * themselves: they belong to the mounting user.
 */
export class CallerOwnership {
  private static readonly asThisProcess: readonly [number, number] = [THIS_PROCESS, THIS_PROCESS]

  /** `mounter`: this process's ids, when it can make objects for others (root); else undefined. */
  constructor(private readonly mounter: { uid: number; gid: number } | undefined) {}

  /** The ownership a mount in this process gets. */
  static ofThisProcess(): CallerOwnership {
    const uid = process.geteuid?.() ?? -1
    return new CallerOwnership(uid === 0 ? { uid, gid: process.getegid?.() ?? 0 } : undefined)
  }

  /** The (uid, gid) to make an object for `ctx` with: both THIS_PROCESS when nothing is to switch. */
  idsFor(ctx: RequestContext): readonly [number, number] {
    const { mounter } = this
    if (mounter === undefined || (ctx.uid === mounter.uid && ctx.gid === mounter.gid)) return CallerOwnership.asThisProcess
    return [ctx.uid, ctx.gid]
  }
}
