import { FileType, type RequestContext } from '@fusekit/core'
import { S_ISGID, S_ISUID } from './inode.js'
import { inGroup, isRoot, type Owned } from './posix-permissions.js'

const S_IXGRP = 0o010

/*
 * The set-user-ID and set-group-ID bits Linux clears when a file's data or owner changes. The
 * FUSE kernel module asks for part of it (a SETATTR of the mode before a write, a truncate or a
 * chown) but keeps its own older rule: S_ISGID only when group-executable. Linux also clears it
 * when the caller is outside the file's group (setattr_should_drop_sgid), so that part is done
 * here, for the caller each request names.
 */

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

function sgidDropped(ctx: RequestContext, node: Owned): number {
  return node.mode & S_IXGRP || !(isRoot(ctx) || inGroup(ctx, node.gid)) ? S_ISGID : 0
}
