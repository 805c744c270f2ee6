import { execFile } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { FsError, mapErrno } from './errno.js'
import { FUSE_CONNECTIONS, abortConnection } from './fuse-connections.js'

const run = promisify(execFile)

export type MountState = 'unmounted' | 'mounted' | 'stale' | 'unresponsive'

/** How long a stat of a mountpoint may take before its filesystem counts as not answering. */
const ANSWER_WITHIN_MS = 3000

/** A line of /proc/self/mountinfo: the filesystem type and the device (major:minor). */
interface MountEntry {
  type: string
  device: string
}

/** Mount points listed in /proc/self/mountinfo. */
async function mountTable(): Promise<Map<string, MountEntry>> {
  const text = await readFile('/proc/self/mountinfo', 'utf8')
  const table = new Map<string, MountEntry>()
  for (const line of text.split('\n')) {
    const fields = line.split(' ')
    const separator = fields.indexOf('-')
    if (separator < 0 || fields[4] === undefined) continue
    table.set(unescapeMountPath(fields[4]), { type: fields[separator + 1] ?? '', device: fields[2] ?? '' })
  }
  return table
}

// mountinfo writes space, tab, newline and backslash as octal escapes.
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

/**
 * Whether something is mounted at `mountpoint`, and whether it still answers: a stat that fails
 * with ENOTCONN is a stale mount (its process died), one that takes longer than a few seconds a
 * mount whose process is stopped or hung. The stat runs in a child process, killed when late: one
 * blocked in this process's thread pool would keep it from ever exiting (libuv joins its threads
 * at exit).
 */
export async function mountState(mountpoint: string): Promise<MountState> {
  const path = resolve(mountpoint)
  const table = await mountTable()
  if (!table.has(path)) return 'unmounted'
  try {
    await run('stat', ['--format=%i', '--', path], { timeout: ANSWER_WITHIN_MS, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C' } })
    return 'mounted'
  } catch (error) {
    const failed = error as { killed?: boolean; stderr?: string }
    if (failed.killed) return 'unresponsive'
    if (failed.stderr?.includes('Transport endpoint is not connected')) return 'stale'
    return 'mounted'
  }
}

/** The FUSE filesystem type at `mountpoint` ("fuse.fusekit"), if one is mounted there. */
export async function mountedType(mountpoint: string): Promise<string | undefined> {
  return (await mountTable()).get(resolve(mountpoint))?.type
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
  if (state === 'unresponsive') {
    throw new FsError('EBUSY', `${path} is mounted and does not answer (its process is stopped or hung): run \`fusekit unmount --abort ${path}\` first`)
  }
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
 * process was killed. Lazy, like fuse-native's own unmount, so open files do not block it. With
 * `abort`, the kernel first ends the mount's connection (fusectl): calls waiting on a process
 * that is stopped or hung fail at once instead of waiting for ever. Never stats the
 * mountpoint: that would wait on such a process too.
 */
export async function forceUnmount(mountpoint: string, options: { abort?: boolean } = {}): Promise<void> {
  const path = resolve(mountpoint)
  const table = await mountTable()
  const entry = table.get(path)
  if (entry === undefined) throw new FsError('EINVAL', `${path} is not mounted`)
  if (options.abort) await abortConnection(path, entry.device, table.get(FUSE_CONNECTIONS)?.type === 'fusectl')
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
