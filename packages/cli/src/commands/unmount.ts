import { realpath } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { forceUnmount, mountedType } from '@fusekit/core'
import type { CliContext } from '../context.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { parseArgs } from '../options/flags.js'

const USAGE = `Usage: fusekit unmount <mountpoint>

Unmounts the FUSE filesystem at <mountpoint>, also a stale one left by a process that was killed
("Transport endpoint is not connected"). The unmount is lazy: files still open keep working
until they are closed.`

export async function unmountCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseArgs(args, [], 'fusekit unmount --help')
  if (parsed.help) {
    ctx.out(USAGE)
    return EXIT_OK
  }
  const [target, extra] = parsed.positionals
  if (target === undefined) throw new UsageError('missing mountpoint (usage: fusekit unmount <mountpoint>)')
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: fusekit unmount <mountpoint>)`)

  const path = await canonical(resolve(ctx.cwd, target))
  const type = await mountedType(path)
  if (type === undefined) throw new CliError(`nothing is mounted at ${path}`)
  // fusekit's fallback is `umount -l`: never let it detach a disk or a system mount.
  if (!isFuse(type)) throw new CliError(`${path} is not a FUSE mount (it is ${type}): fusekit unmounts only FUSE filesystems`)
  await forceUnmount(path)
  ctx.err(`fusekit: unmounted ${path}`)
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
