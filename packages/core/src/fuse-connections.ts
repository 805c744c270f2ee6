import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { FsError } from './errno.js'

/** Where the kernel's FUSE control filesystem (fusectl) lists the connections, one directory each. */
export const FUSE_CONNECTIONS = '/sys/fs/fuse/connections'

/**
 * The name of a FUSE mount's directory under FUSE_CONNECTIONS: its device number as the kernel
 * keeps it (major << 20 | minor), from mountinfo's "major:minor".
 */
export function connectionId(device: string): number {
  const match = /^(\d+):(\d+)$/.exec(device)
  if (match === null) throw new FsError('EINVAL', `"${device}" is not a device number (major:minor)`)
  return Number(match[1]) * 2 ** 20 + Number(match[2])
}

/**
 * Ends the kernel side of the FUSE mount at `path` (device `device`) through fusectl: every call
 * waiting on it fails with ECONNABORTED, later ones with ENOTCONN. fusectl is mounted first if it
 * is not (root only; most systems mount it at boot). A connection that is gone already (its
 * process exited) has nothing left to abort.
 */
export async function abortConnection(path: string, device: string, fusectlMounted: boolean): Promise<void> {
  const id = connectionId(device)
  if (!fusectlMounted) await mountFusectl()
  try {
    await writeFile(`${FUSE_CONNECTIONS}/${id}/abort`, '1')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code === 'EACCES' || code === 'EPERM') throw new FsError('EPERM', `only root or the user who mounted ${path} may abort its connection`)
    throw new FsError('EIO', `could not abort the connection of ${path}: ${(error as Error).message}`)
  }
}

async function mountFusectl(): Promise<void> {
  const hint = `fusectl is not mounted at ${FUSE_CONNECTIONS}: as root, run \`mount -t fusectl fusectl ${FUSE_CONNECTIONS}\``
  if (process.getuid?.() !== 0) throw new FsError('EPERM', hint)
  try {
    await promisify(execFile)('mount', ['-t', 'fusectl', 'fusectl', FUSE_CONNECTIONS])
  } catch (error) {
    throw new FsError('EIO', `${hint} (it failed: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message})`)
  }
}
