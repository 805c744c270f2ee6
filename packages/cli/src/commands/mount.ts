import { resolve } from 'node:path'
import { assertMountable, backendMountOptions, createConsoleLogger, FsError, mount, resolveMountOptions, type BackendDescriptor, type MountOptions } from '@fusekit/core'
import { resolveBackend } from '../backends/resolve.js'
import type { CliContext } from '../context.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { checkFuseEnvironment } from '../fuse-check.js'
import { parseArgs } from '../options/flags.js'
import { mountFlags, mountOptionsFrom } from '../options/mount-flags.js'
import { backendFlags, backendOptionsFrom, validateBackendOptions } from '../options/schema-flags.js'
import { backendMountHelp, generalMountHelp } from './mount-help.js'
import { serveInForeground } from './foreground.js'

const USAGE = 'fusekit mount <backend> <mountpoint> [options]'

export async function mountCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const [spec, ...rest] = args
  if (spec === '-h' || spec === '--help') {
    ctx.out(generalMountHelp(ctx.cwd, mountFlags(resolveMountOptions())))
    return EXIT_OK
  }
  if (spec === undefined) throw new UsageError(`missing backend (usage: ${USAGE}; see fusekit mount --help)`)
  if (spec.startsWith('-')) throw new UsageError(`the backend comes first, before "${spec}" (usage: ${USAGE})`)

  const backend = await resolveBackend(spec, ctx.cwd)
  const { descriptor } = backend
  const defaults = backendMountOptions(descriptor)
  const ownFlags = backendFlags(descriptor)
  const commonFlags = mountFlags(defaults)
  // A backend option named like a mount flag (passthrough's --read-only) takes the flag; the value goes to both.
  const flags = [...ownFlags, ...commonFlags.filter((f) => !ownFlags.some((own) => own.name === f.name))]
  const parsed = parseArgs(rest, flags, `fusekit mount ${spec} --help`)
  for (const flag of ownFlags) if (flag.secret && parsed.values.has(flag.name)) ctx.secrets.push(...[parsed.values.get(flag.name)].flat().map(String))

  if (parsed.help) {
    ctx.out(backendMountHelp(backend, ownFlags, commonFlags))
    return EXIT_OK
  }
  const [target, extra] = parsed.positionals
  if (target === undefined) throw new UsageError(`missing mountpoint (usage: fusekit mount ${spec} <mountpoint> [options])`)
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: ${USAGE})`)

  const backendOptions = backendOptionsFrom(parsed.values, ownFlags)
  validateBackendOptions(descriptor, backendOptions, ownFlags)
  const mountOptions = mountOptionsFrom(parsed.values, commonFlags)
  const effective = validMountOptions(descriptor, mountOptions)

  const mountpoint = resolve(ctx.cwd, target)
  await assertMountable(mountpoint, effective.fuseOptions)
  checkFuseEnvironment(effective.driver === 'lowlevel' ? 'lowlevel' : 'fuse-native')
  const logger = createConsoleLogger({ level: effective.debug ? 'debug' : 'info', secrets: ctx.secrets, write: ctx.err })
  return serveInForeground(() => mount({ backend: descriptor, mountpoint, backendOptions, mountOptions, logger }), descriptor.name, ctx)
}

function validMountOptions(descriptor: BackendDescriptor, chosen: Partial<MountOptions>): MountOptions {
  try {
    return backendMountOptions(descriptor, chosen)
  } catch (error) {
    if (error instanceof FsError) throw new UsageError(error.message.replace(/^EINVAL: /, ''))
    throw error
  }
}
