import { realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { forceUnmount, mountedType } from '@fusekit/core'
import type { CliContext } from '../context.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { formatFlags, parseArgs, type FlagSpec } from '../options/flags.js'

const FLAGS: FlagSpec[] = [
  {
    name: 'abort',
    takesValue: false,
    description: 'End the connection first (fusectl): calls stuck on a stopped or hung mount process fail at once',
  },
]

const USAGE = `Usage: fusekit unmount [--abort] <mountpoint>

Unmounts the FUSE filesystem at <mountpoint>, also a stale one left by a process that was killed
("Transport endpoint is not connected"). The unmount is lazy: files still open keep working
until they are closed. A mount whose process is stopped or hung is detached too, but programs
already waiting on it go on waiting until it answers or dies; --abort ends its connection in the
kernel first, so that they fail at once (root, or the user who mounted it; fusectl must be
mounted at /sys/fs/fuse/connections, which root's --abort does itself when it is not).

Options:
${formatFlags(FLAGS).join('\n')}`

export async function unmountCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseArgs(args, FLAGS, 'fusekit unmount --help')
  if (parsed.help) {
    ctx.out(USAGE)
    return EXIT_OK
  }
  const [target, extra] = parsed.positionals
  if (target === undefined) throw new UsageError('missing mountpoint (usage: fusekit unmount [--abort] <mountpoint>)')
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: fusekit unmount [--abort] <mountpoint>)`)

  const path = await canonical(resolve(ctx.cwd, target))
  const type = await mountedType(path)
  if (type === undefined) throw new CliError(`nothing is mounted at ${path}`)
  // fusekit's fallback is `umount -l`: never let it detach a disk or a system mount.
  if (!isFuse(type)) throw new CliError(`${path} is not a FUSE mount (it is ${type}): fusekit unmounts only FUSE filesystems`)
  const abort = parsed.values.get('abort') === true
  await forceUnmount(path, { abort })
  ctx.err(abort ? `fusekit: aborted the connection and unmounted ${path}` : `fusekit: unmounted ${path}`)
  return EXIT_OK
}

function isFuse(type: string): boolean {
  return type === 'fuse' || type === 'fuseblk' || type.startsWith('fuse.')
}

/**
 * The path as the mount table spells it. Only the parent is resolved: the mountpoint itself may be
 * a stale mount that fails every stat with ENOTCONN.
 */
async function canonical(path: string): Promise<string> {
  try {
    return join(await realpath(dirname(path)), basename(path))
  } catch {
    return path
  }
}
