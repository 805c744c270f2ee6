import type { ArgsOf, ResultOf } from '../driver.js'
import { Errno, FsError } from '../errno.js'
import { SetattrValid, type Entry, type InodeOperations, type SetattrRequest } from '../inode-operations.js'
import { Timespec, type Stat, type StatVfs } from '../types.js'
import {
  decodeAccess,
  decodeGetattr,
  decodeGetxattr,
  decodeLink,
  decodeListxattr,
  decodeMkdir,
  decodeMknod,
  decodeName,
  decodeRename,
  decodeRename2,
  decodeSetattr,
  decodeSetxattr,
  decodeSymlink,
  type RenameIn,
  type SetattrIn,
} from './decoders.js'
import type { KernelRequest, KernelSession, ReplyEncoder } from './kernel-session.js'
import { ENTRY_OUT_SIZE, OUT_HEADER_SIZE as OUT, STATFS_OUT_SIZE, encodeEntry, encodeStatfs, replyBuffer, writeU32 } from './protocol.js'

/** Requests about nodes and names: lookups, attributes, the namespace, xattrs, statfs. */

const NO_STATFS: StatVfs = { bsize: 512, frsize: 512, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }

export function lookup(s: KernelSession, req: KernelRequest): void {
  s.call(req, 'lookup', [req.ctx, req.header.nodeid, decodeName(req.body, 'lookup')], entryReply, negativeEntry)
}

/** ENOENT as a cached negative entry, when the mount has a negative timeout: the kernel asks again only after it. */
function negativeEntry(s: KernelSession, req: KernelRequest, errno: number): Buffer | undefined {
  if (errno !== Errno.ENOENT || s.options.negativeTimeout <= 0) return undefined
  const reply = s.scratchReply(req.header.unique, ENTRY_OUT_SIZE)
  encodeEntry(reply, OUT, 0, undefined, s.options.negativeTimeout, 0)
  return reply
}

const entryReply = (s: KernelSession, req: KernelRequest, entry: Entry) => s.entryReply(req.header.unique, entry)
const attrReply = (s: KernelSession, req: KernelRequest, stat: Stat) => s.attrReply(req.header.unique, stat)
const noReply = () => undefined

export function getattr(s: KernelSession, req: KernelRequest): void {
  s.call(req, 'getattr', [req.ctx, req.header.nodeid, decodeGetattr(req.body).fh], attrReply)
}

export function setattr(s: KernelSession, req: KernelRequest): void {
  s.call(req, 'setattr', [req.ctx, req.header.nodeid, setattrRequest(decodeSetattr(req.body), s.writebackCache)], attrReply)
}

/**
 * The backend's view of a SETATTR. "Now" is resolved here, once, so that both times of a touch
 * are the same instant. With the writeback cache the kernel keeps mtime and ctime itself: it
 * sends its own clock's "now" as explicit times, mtime without FATTR_MTIME_NOW, always with the
 * ctime of the change (the same instant). Those times are taken as the kernel reports them, and
 * an mtime equal to that ctime is marked MTIME_NOW, as the caller asked it (a touch by a writer
 * who does not own the file is allowed, an explicit mtime is not).
 */
export function setattrRequest(decoded: SetattrIn, kernelTimes: boolean): SetattrRequest {
  let { valid } = decoded
  let now: Timespec | undefined
  if (kernelTimes) {
    if (valid & SetattrValid.MTIME && valid & SetattrValid.CTIME && sameInstant(decoded.mtime, decoded.ctime)) valid |= SetattrValid.MTIME_NOW
  } else if (valid & (SetattrValid.ATIME_NOW | SetattrValid.MTIME_NOW)) {
    now = Timespec.now()
  }
  return {
    valid,
    mode: decoded.mode & 0o7777,
    uid: decoded.uid,
    gid: decoded.gid,
    size: decoded.size,
    atime: now && valid & SetattrValid.ATIME_NOW ? now : decoded.atime,
    mtime: now && valid & SetattrValid.MTIME_NOW ? now : decoded.mtime,
    ctime: decoded.ctime,
    fh: valid & SetattrValid.FH ? decoded.fh : undefined,
  }
}

const sameInstant = (a: Timespec, b: Timespec) => a.sec === b.sec && a.nsec === b.nsec

export function readlink(s: KernelSession, req: KernelRequest): void {
  s.call(req, 'readlink', [req.ctx, req.header.nodeid], (_s, { header }, link) => {
    const target = Buffer.from(link)
    const reply = replyBuffer(header.unique, target.length)
    target.copy(reply, OUT)
    return reply
  })
}

export function symlink(s: KernelSession, req: KernelRequest): void {
  const { name, target } = decodeSymlink(req.body)
  s.call(req, 'symlink', [req.ctx, target, req.header.nodeid, name], entryReply)
}

export function mknod(s: KernelSession, req: KernelRequest): void {
  const { mode, rdev, umask, name } = decodeMknod(req.body)
  req.ctx.umask = umask
  s.call(req, 'mknod', [req.ctx, req.header.nodeid, name, mode, rdev], entryReply)
}

export function mkdir(s: KernelSession, req: KernelRequest): void {
  const { mode, umask, name } = decodeMkdir(req.body)
  req.ctx.umask = umask
  s.call(req, 'mkdir', [req.ctx, req.header.nodeid, name, mode], entryReply)
}

export function unlink(s: KernelSession, req: KernelRequest): void {
  s.call(req, 'unlink', [req.ctx, req.header.nodeid, decodeName(req.body, 'unlink')], noReply)
}

export function rmdir(s: KernelSession, req: KernelRequest): void {
  s.call(req, 'rmdir', [req.ctx, req.header.nodeid, decodeName(req.body, 'rmdir')], noReply)
}

export function rename(s: KernelSession, req: KernelRequest): void {
  renameWith(s, req, decodeRename(req.body))
}

export function rename2(s: KernelSession, req: KernelRequest): void {
  renameWith(s, req, decodeRename2(req.body))
}

function renameWith(s: KernelSession, req: KernelRequest, { newParent, flags, name, newName }: RenameIn): void {
  s.call(req, 'rename', [req.ctx, req.header.nodeid, name, newParent, newName, flags], noReply)
}

export function link(s: KernelSession, req: KernelRequest): void {
  const { ino, newName } = decodeLink(req.body)
  s.call(req, 'link', [req.ctx, ino, req.header.nodeid, newName], entryReply)
}

export function statfs(s: KernelSession, req: KernelRequest): void {
  if (s.handler.implements('statfs')) s.call(req, 'statfs', [req.ctx, req.header.nodeid], statfsReply)
  else s.finish(req, statfsReply(s, req, NO_STATFS))
}

function statfsReply(_s: KernelSession, req: KernelRequest, stats: StatVfs): Buffer {
  const reply = replyBuffer(req.header.unique, STATFS_OUT_SIZE)
  encodeStatfs(reply, OUT, stats)
  return reply
}

export function access(s: KernelSession, req: KernelRequest): void {
  s.rememberedNoop(req, 'access', [req.ctx, req.header.nodeid, decodeAccess(req.body).mask])
}

export function setxattr(s: KernelSession, req: KernelRequest): void {
  const { name, value, flags } = decodeSetxattr(req.body)
  // The value stays in the request buffer, lent until the backend answers.
  req.lent = xattrCall(s, req, 'setxattr', [req.ctx, req.header.nodeid, name, value, flags], noReply)
}

export function getxattr(s: KernelSession, req: KernelRequest): void {
  const { size, name } = decodeGetxattr(req.body)
  xattrCall(s, req, 'getxattr', [req.ctx, req.header.nodeid, name], (_s, { header }, value) => sized(header.unique, size, value))
}

export function listxattr(s: KernelSession, req: KernelRequest): void {
  const { size } = decodeListxattr(req.body)
  xattrCall(s, req, 'listxattr', [req.ctx, req.header.nodeid], (_s, { header }, names) => sized(header.unique, size, Buffer.from(names.map((n) => n + '\0').join(''))))
}

export function removexattr(s: KernelSession, req: KernelRequest): void {
  xattrCall(s, req, 'removexattr', [req.ctx, req.header.nodeid, decodeName(req.body, 'removexattr')], noReply)
}

/**
 * A backend without an xattr call answers ENOSYS: the kernel then stops sending that call for
 * the mount and answers EOPNOTSUPP itself (it would go on asking after EOPNOTSUPP: a GETXATTR of
 * security.capability before every write, one per entry of `ls -l`).
 */
function xattrCall<K extends 'setxattr' | 'getxattr' | 'listxattr' | 'removexattr'>(
  s: KernelSession,
  req: KernelRequest,
  name: K,
  args: ArgsOf<InodeOperations, K>,
  encode: ReplyEncoder<ResultOf<InodeOperations, K>>,
): Promise<unknown> | undefined {
  if (s.handler.implements(name)) return s.call(req, name, args, encode)
  s.fail(req, Errno.ENOSYS)
  return undefined
}

/** A value of `size` bytes at most; size 0 asks for the length only. */
function sized(unique: number, size: number, value: Buffer): Buffer {
  if (size === 0) {
    const reply = replyBuffer(unique, 8)
    writeU32(reply, OUT, value.length)
    writeU32(reply, OUT + 4, 0)
    return reply
  }
  if (value.length > size) throw new FsError(Errno.ERANGE)
  const reply = replyBuffer(unique, value.length)
  value.copy(reply, OUT)
  return reply
}
