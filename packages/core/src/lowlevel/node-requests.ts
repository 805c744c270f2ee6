import { Errno, FsError } from '../errno.js'
import { SetattrValid, type SetattrRequest } from '../inode-operations.js'
import { Timespec, type StatVfs } from '../types.js'
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
} from './decoders.js'
import type { KernelRequest, KernelSession } from './kernel-session.js'
import { ENTRY_OUT_SIZE, OUT_HEADER_SIZE as OUT, STATFS_OUT_SIZE, encodeEntry, encodeStatfs, replyBuffer } from './protocol.js'

/** Requests about nodes and names: lookups, attributes, the namespace, xattrs, statfs. */

const NO_STATFS: StatVfs = { bsize: 512, frsize: 512, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }

export async function lookup(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const name = decodeName(body, 'lookup')
  try {
    return s.entryReply(header.unique, await s.ask('lookup', [ctx, header.nodeid, name]))
  } catch (error) {
    if (!(error instanceof FsError && error.errno === Errno.ENOENT && s.options.negativeTimeout > 0)) throw error
    // A cached negative entry: the kernel asks again only after the timeout.
    const reply = replyBuffer(header.unique, ENTRY_OUT_SIZE)
    encodeEntry(reply, OUT, 0, undefined, s.options.negativeTimeout, 0)
    return reply
  }
}

export async function getattr(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { fh } = decodeGetattr(body)
  return s.attrReply(header.unique, await s.ask('getattr', [ctx, header.nodeid, fh]))
}

export async function setattr(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const decoded = decodeSetattr(body)
  const { valid } = decoded
  // "Now" is resolved here, once, so that both times of a touch are the same instant.
  const now = valid & (SetattrValid.ATIME_NOW | SetattrValid.MTIME_NOW) ? Timespec.now() : undefined
  const request: SetattrRequest = {
    valid,
    mode: decoded.mode & 0o7777,
    uid: decoded.uid,
    gid: decoded.gid,
    size: decoded.size,
    atime: valid & SetattrValid.ATIME_NOW ? (now as Timespec) : decoded.atime,
    mtime: valid & SetattrValid.MTIME_NOW ? (now as Timespec) : decoded.mtime,
    ctime: decoded.ctime,
    fh: valid & SetattrValid.FH ? decoded.fh : undefined,
  }
  return s.attrReply(header.unique, await s.ask('setattr', [ctx, header.nodeid, request]))
}

export async function readlink(s: KernelSession, { header, ctx }: KernelRequest): Promise<Buffer> {
  const target = Buffer.from(await s.ask('readlink', [ctx, header.nodeid]))
  const reply = replyBuffer(header.unique, target.length)
  target.copy(reply, OUT)
  return reply
}

export async function symlink(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { name, target } = decodeSymlink(body)
  return s.entryReply(header.unique, await s.ask('symlink', [ctx, target, header.nodeid, name]))
}

export async function mknod(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { mode, rdev, umask, name } = decodeMknod(body)
  ctx.umask = umask
  return s.entryReply(header.unique, await s.ask('mknod', [ctx, header.nodeid, name, mode, rdev]))
}

export async function mkdir(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { mode, umask, name } = decodeMkdir(body)
  ctx.umask = umask
  return s.entryReply(header.unique, await s.ask('mkdir', [ctx, header.nodeid, name, mode]))
}

export async function unlink(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  await s.ask('unlink', [ctx, header.nodeid, decodeName(body, 'unlink')])
  return undefined
}

export async function rmdir(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  await s.ask('rmdir', [ctx, header.nodeid, decodeName(body, 'rmdir')])
  return undefined
}

export function rename(s: KernelSession, request: KernelRequest): Promise<undefined> {
  return renameWith(s, request, decodeRename(request.body))
}

export function rename2(s: KernelSession, request: KernelRequest): Promise<undefined> {
  return renameWith(s, request, decodeRename2(request.body))
}

async function renameWith(s: KernelSession, { header, ctx }: KernelRequest, { newParent, flags, name, newName }: ReturnType<typeof decodeRename>): Promise<undefined> {
  await s.ask('rename', [ctx, header.nodeid, name, newParent, newName, flags])
  return undefined
}

export async function link(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { ino, newName } = decodeLink(body)
  return s.entryReply(header.unique, await s.ask('link', [ctx, ino, header.nodeid, newName]))
}

export async function statfs(s: KernelSession, { header, ctx }: KernelRequest): Promise<Buffer> {
  const stats = s.handler.implements('statfs') ? await s.ask('statfs', [ctx, header.nodeid]) : NO_STATFS
  const reply = replyBuffer(header.unique, STATFS_OUT_SIZE)
  encodeStatfs(reply, OUT, stats)
  return reply
}

export function access(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  return s.rememberedNoop('access', [ctx, header.nodeid, decodeAccess(body).mask])
}

export async function setxattr(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  const { name, value, flags } = decodeSetxattr(body)
  await xattrCall(s, 'setxattr', () => s.ask('setxattr', [ctx, header.nodeid, name, value, flags]))
  return undefined
}

export async function getxattr(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { size, name } = decodeGetxattr(body)
  return sized(header.unique, size, await xattrCall(s, 'getxattr', () => s.ask('getxattr', [ctx, header.nodeid, name])))
}

export async function listxattr(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<Buffer> {
  const { size } = decodeListxattr(body)
  const names = await xattrCall(s, 'listxattr', () => s.ask('listxattr', [ctx, header.nodeid]))
  return sized(header.unique, size, Buffer.from(names.map((n) => n + '\0').join('')))
}

export async function removexattr(s: KernelSession, { header, body, ctx }: KernelRequest): Promise<undefined> {
  const name = decodeName(body, 'removexattr')
  await xattrCall(s, 'removexattr', () => s.ask('removexattr', [ctx, header.nodeid, name]))
  return undefined
}

/** A backend without the xattr calls answers EOPNOTSUPP (the kernel then stops asking). */
function xattrCall<T>(s: KernelSession, name: 'setxattr' | 'getxattr' | 'listxattr' | 'removexattr', call: () => Promise<T>): Promise<T> {
  if (!s.handler.implements(name)) return Promise.reject(new FsError(Errno.EOPNOTSUPP))
  return call()
}

/** A value of `size` bytes at most; size 0 asks for the length only. */
function sized(unique: number, size: number, value: Buffer): Buffer {
  if (size === 0) {
    const reply = replyBuffer(unique, 8)
    reply.writeUInt32LE(value.length, OUT)
    reply.writeUInt32LE(0, OUT + 4)
    return reply
  }
  if (value.length > size) throw new FsError(Errno.ERANGE)
  const reply = replyBuffer(unique, value.length)
  value.copy(reply, OUT)
  return reply
}
