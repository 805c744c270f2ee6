import { spawn } from 'node:child_process'
import { closeSync, constants, fchmodSync, linkSync, openSync } from 'node:fs'
import { createServer } from 'node:net'
import { FileType, FsError, type ErrnoName } from '@fusekit/core'
import { chmodEntry } from './source-root.js'
import { sys, toFsError } from './syscall.js'

const PERMISSIONS = 0o7777

/**
 * mknod for every file type, where Node has no mknod(2): regular files through open(O_CREAT|O_EXCL),
 * sockets by binding a Unix socket, FIFOs and device nodes through coreutils' mkfifo and mknod
 * (a child process that is handed the pinned parent directory as its fd 3).
 */
export async function makeNode(entry: string, dirFd: number, name: string, mode: number, rdev: number): Promise<void> {
  const permissions = (mode & PERMISSIONS).toString(8)
  switch (mode & FileType.S_IFMT) {
    case 0:
    case FileType.S_IFREG: {
      const flags = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW
      const fd = sys(() => openSync(entry, flags, mode & PERMISSIONS))
      try {
        // Exactly the mode asked for: open() applied this process's umask on top of the caller's.
        sys(() => fchmodSync(fd, mode & PERMISSIONS))
      } finally {
        closeSync(fd)
      }
      return
    }
    case FileType.S_IFIFO:
      return runTool('mkfifo', ['-m', permissions, '--', `/proc/self/fd/3/${name}`], dirFd)
    case FileType.S_IFCHR:
    case FileType.S_IFBLK: {
      const type = (mode & FileType.S_IFMT) === FileType.S_IFCHR ? 'c' : 'b'
      const { major, minor } = splitDev(rdev)
      return runTool('mknod', ['-m', permissions, '--', `/proc/self/fd/3/${name}`, type, String(major), String(minor)], dirFd)
    }
    case FileType.S_IFSOCK:
      return makeSocket(entry, `/proc/self/fd/${dirFd}`, mode & PERMISSIONS)
    default:
      throw new FsError('EINVAL', `mknod: unknown file type 0o${(mode & FileType.S_IFMT).toString(8)}`)
  }
}

/** Linux's dev_t encoding (glibc's gnu_dev_major/minor) for the 32 bits the binding carries. */
function splitDev(rdev: number): { major: number; minor: number } {
  return { major: (rdev >>> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >>> 12) & 0xfff00) }
}

// The tools report errors with glibc's strerror text (under LC_ALL=C); these are the ones mknod(2) gives.
const STRERROR: Record<string, ErrnoName> = {
  'File exists': 'EEXIST',
  'Operation not permitted': 'EPERM',
  'Permission denied': 'EACCES',
  'No space left on device': 'ENOSPC',
  'Disk quota exceeded': 'EDQUOT',
  'Read-only file system': 'EROFS',
  'No such file or directory': 'ENOENT',
  'Not a directory': 'ENOTDIR',
  'File name too long': 'ENAMETOOLONG',
  'Too many levels of symbolic links': 'ELOOP',
  'Operation not supported': 'EOPNOTSUPP',
}

function runTool(tool: string, args: string[], dirFd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe', dirFd], env: { ...process.env, LC_ALL: 'C' } })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new FsError('EOPNOTSUPP', `${tool} (coreutils) is not installed, so this file type cannot be created`)
          : toFsError(error),
      ),
    )
    child.once('close', (code) => {
      if (code === 0) return resolve()
      const text = stderr.trim()
      const known = Object.keys(STRERROR).find((message) => text.endsWith(message))
      reject(known ? new FsError(STRERROR[known]!, `${tool}: ${known}`) : new FsError('EIO', `${tool} failed: ${text}`))
    })
  })
}

let socketCounter = 0

/**
 * Creates a socket file the way bind(2) does (mknod(2) of a socket makes just such a file). libuv
 * removes a socket's path when the server closes, so it binds a temporary name and links it.
 */
async function makeSocket(entry: string, dirPath: string, permissions: number): Promise<void> {
  const temporary = `${dirPath}/.fusekit-socket-${process.pid}-${++socketCounter}`
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(toFsError(error)))
    server.listen(temporary, resolve)
  })
  try {
    sys(() => linkSync(temporary, entry))
    chmodEntry(entry, permissions)
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
}
