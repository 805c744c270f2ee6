import { accessSync, realpathSync, statSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { FsError } from '@fusekit/core'
import { toFsError } from './syscall.js'

/**
 * The real path of the source directory, after checking that it can be mirrored at `mountpoint`:
 * it exists, is a directory, and neither contains nor lies inside the mountpoint (a mount inside
 * its own source would see itself, and serving it would wait on itself).
 */
export function checkSource(source: string, mountpoint: string): string {
  const root = realpath(resolve(source), 'source')
  if (!statSync(root).isDirectory()) throw new FsError('ENOTDIR', `source ${root} is not a directory`)
  const mount = realpath(resolve(mountpoint), 'mountpoint')
  if (mount === root) throw new FsError('EINVAL', `cannot mount ${root} onto itself: choose a mountpoint outside the source`)
  if (isInside(mount, root)) throw new FsError('EINVAL', `mountpoint ${mount} lies inside the source ${root}: choose one outside it`)
  if (isInside(root, mount)) throw new FsError('EINVAL', `source ${root} lies inside the mountpoint ${mount}: the mount would hide it`)
  try {
    accessSync('/proc/self/fd')
  } catch {
    throw new FsError('EOPNOTSUPP', 'the passthrough backend needs /proc (it reaches files through /proc/self/fd): mount procfs first')
  }
  return root
}

function realpath(path: string, what: string): string {
  try {
    return realpathSync(path)
  } catch (error) {
    const fsError = toFsError(error) as FsError
    if (fsError.code === 'ENOENT') throw new FsError('ENOENT', `${what} ${path} does not exist`)
    throw new FsError(fsError.errno ?? 'EIO', `${what} ${path}: ${fsError.message}`)
  }
}

function isInside(path: string, dir: string): boolean {
  return path.startsWith(dir.endsWith(sep) ? dir : dir + sep)
}
