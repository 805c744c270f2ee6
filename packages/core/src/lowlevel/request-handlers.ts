import { access, getattr, getxattr, link, listxattr, lookup, mkdir, mknod, readlink, removexattr, rename, rename2, rmdir, setattr, setxattr, statfs, symlink, unlink } from './node-requests.js'
import { copyFileRange, create, fallocate, flush, fsync, lseek, open, read, release, write } from './file-requests.js'
import { fsyncdir, opendir, readdir, readdirplus, releasedir } from './directory-requests.js'
import { init } from './init-request.js'
import type { RequestHandlerFn } from './kernel-session.js'
import { Opcode } from './protocol.js'

/**
 * The handler of each opcode the session answers (FORGET, BATCH_FORGET and INTERRUPT, which
 * get no reply, are the session's own). Anything else is answered ENOSYS: the kernel then uses
 * its own behaviour (local locks, no ioctl, ...).
 */
export const REQUEST_HANDLERS: Readonly<Partial<Record<number, RequestHandlerFn>>> = {
  [Opcode.INIT]: (s, req) => s.settle(req, init(s, req)),
  [Opcode.DESTROY]: (s, req) => s.finish(req, s.emptyReply(req.header.unique)),
  [Opcode.LOOKUP]: lookup,
  [Opcode.GETATTR]: getattr,
  [Opcode.SETATTR]: setattr,
  [Opcode.READLINK]: readlink,
  [Opcode.SYMLINK]: symlink,
  [Opcode.MKNOD]: mknod,
  [Opcode.MKDIR]: mkdir,
  [Opcode.UNLINK]: unlink,
  [Opcode.RMDIR]: rmdir,
  [Opcode.RENAME]: rename,
  [Opcode.RENAME2]: rename2,
  [Opcode.LINK]: link,
  [Opcode.OPEN]: open,
  [Opcode.READ]: read,
  [Opcode.WRITE]: write,
  [Opcode.STATFS]: statfs,
  [Opcode.RELEASE]: release,
  [Opcode.FSYNC]: fsync,
  [Opcode.SETXATTR]: setxattr,
  [Opcode.GETXATTR]: getxattr,
  [Opcode.LISTXATTR]: listxattr,
  [Opcode.REMOVEXATTR]: removexattr,
  [Opcode.FLUSH]: flush,
  [Opcode.OPENDIR]: opendir,
  [Opcode.READDIR]: readdir,
  [Opcode.RELEASEDIR]: releasedir,
  [Opcode.FSYNCDIR]: fsyncdir,
  [Opcode.ACCESS]: access,
  [Opcode.CREATE]: create,
  [Opcode.FALLOCATE]: fallocate,
  [Opcode.READDIRPLUS]: readdirplus,
  [Opcode.LSEEK]: lseek,
  [Opcode.COPY_FILE_RANGE]: copyFileRange,
}
