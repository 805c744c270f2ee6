import { execFile } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { FsError, mapErrno } from './errno.js'

export type MountState = 'unmounted' | 'mounted' | 'stale'

/** Mount points listed in /proc/self/mountinfo, with their filesystem type. */
async function mountTable(): Promise<Map<string, string>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  const table = new Map<string, string>()
  for (const line of text.split('\n')) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-')
    if (separator < 0 || fields[4] === undefined) continue
    table.set(unescapeMountPath(fields[4]), fields[separator + 1] ?? '')
  }
  return table
}

// mountinfo writes space, tab, newline and backslash as octal escapes.
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/** Whether something is mounted at `mountpoint`, and whether it still answers. */
export async function mountState(mountpoint: string): Promise<MountState> {
  const path = resolve(mountpoint)
  const table = await mountTable()
  if (!table.has(path)) return 'unmounted'
  try {
    await stat(path)
    return 'mounted'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTCONN') return 'stale'
    return 'mounted'
  }
}

/** The FUSE filesystem type at `mountpoint` ("fuse.fusekit"), if one is mounted there. */
export async function mountedType(mountpoint: string): Promise<string | undefined> {
  return (await mountTable()).get(resolve(mountpoint))
}

/**
 * Checks that `mountpoint` can take a new mount: it exists, is a directory, nothing (live or
 * stale) is mounted on it, and it is empty unless `fuseOptions` holds `nonempty`. Fails with an FsError that says what to do.
 */
export async function assertMountable(mountpoint: string, fuseOptions: readonly string[] = []): Promise<void> {
  const path = resolve(mountpoint)
  const state = await mountState(path)
  if (state === 'stale') {
    throw new FsError('ENOTCONN', `${path} holds a stale mount left by a process that died: run \`fusekit unmount ${path}\` first`)
  }
  if (state === 'mounted') throw new FsError('EBUSY', `${path} is already mounted: unmount it first (fusekit unmount ${path})`)
  let info
  try {
    info = await stat(path)
  } catch (error) {
    const fsError = mapErrno(error)
    if (fsError?.code === 'ENOENT') throw new FsError('ENOENT', `mountpoint ${path} does not exist: create it with mkdir first`)
    throw fsError ?? error
  }
  if (!info.isDirectory()) throw new FsError('ENOTDIR', `mountpoint ${path} is not a directory`)
  // libfuse refuses a non-empty mountpoint with a bare "fuse failed" unless told otherwise.
  if (!fuseOptions.includes('nonempty') && (await readdir(path)).length > 0) {
    throw new FsError('ENOTEMPTY', `mountpoint ${path} is not empty: the mount would hide its files (pass -o nonempty to mount over them)`)
  }
}

/**
 * Detaches whatever FUSE filesystem is mounted at `mountpoint`, including a stale one whose
 * process was killed. Lazy, like fuse-native's own unmount, so open files do not block it.
 */
export async function forceUnmount(mountpoint: string): Promise<void> {
  const path = resolve(mountpoint)
  const state = await mountState(path)
  if (state === 'unmounted') throw new FsError('EINVAL', `${path} is not mounted`)
  const run = promisify(execFile)
  try {
    await run('fusermount', ['-uz', path])
  } catch (fusermountError) {
    // fusermount refuses mounts of other users and is missing without Debian's fuse package.
    try {
      await run('umount', ['-l', path])
    } catch {
      const detail = (fusermountError as { stderr?: string }).stderr?.trim() || String(fusermountError)
      throw new FsError('EPERM', `could not unmount ${path}: ${detail}`)
    }
  }
}
