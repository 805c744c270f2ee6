import { resolve } from 'node:path'
import { assertMountable, backendMountOptions, createConsoleLogger, FsError, libfuseOnlyOptions, mount, resolveMountOptions, type BackendDescriptor, type MountOptions } from '@fusekit/core'
import { oneLine } from '../backends/load.js'
import type { CliContext } from '../context.js'
import { CliError, EXIT_OK, UsageError } from '../errors.js'
import { checkFuseEnvironment } from '../fuse-check.js'
import { parseArgs, takeOption, type FlagSpec } from '../options/flags.js'
import { mountFlags, type MountFlag } from '../options/mount-flags.js'
import { layerOptions } from '../options/option-layers.js'
import { backendFlags, type BackendFlag } from '../options/schema-flags.js'
import { backendMountHelp, generalMountHelp } from './mount-help.js'
import { CONFIG_FLAG, mountTarget } from './mount-target.js'
import { serveInForeground } from './foreground.js'

const USAGE = 'fusekit mount <backend> <mountpoint> [options], or fusekit mount <named mount> [mountpoint] [options]'

export async function mountCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = args
  if (name === '-h' || name === '--help') {
    ctx.out(generalMountHelp(ctx, mountFlags(resolveMountOptions())))
    return EXIT_OK
  }
  if (name === undefined) throw new UsageError(`missing backend (usage: ${USAGE}; see fusekit mount --help)`)
  if (name.startsWith('-')) throw new UsageError(`the backend comes first, before "${name}" (usage: ${USAGE})`)

  const { value: configFile, rest: flagArgs } = takeOption(rest, CONFIG_FLAG.name)
  const target = await mountTarget(name, configFile, ctx)
  const { descriptor } = target.backend
  for (const warning of target.backend.warnings) ctx.err(`fusekit: warning: ${warning}`)
  const { ownFlags, commonFlags, flags } = mountCommandFlags(descriptor)
  const parsed = parseArgs(flagArgs, flags, `fusekit mount ${name} --help`)
  for (const flag of ownFlags) if (flag.secret && parsed.values.has(flag.name)) ctx.secrets.push(...[parsed.values.get(flag.name)].flat().map(String))

  if (parsed.help) {
    ctx.out(backendMountHelp(target, ownFlags, commonFlags))
    return EXIT_OK
  }
  const [given, extra] = parsed.positionals
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: ${USAGE})`)
  const mountpoint = given !== undefined ? resolve(ctx.cwd, given) : target.entry?.mountpoint
  if (mountpoint === undefined) {
    const where = target.entry ? `: give it, or set mountpoint in ${target.entry.name}'s entry of ${target.entry.file}` : ''
    throw new UsageError(`missing mountpoint (usage: fusekit mount ${name} <mountpoint> [options])${where}`)
  }

  const { backendOptions, mountOptions, warnings } = layerOptions({ descriptor, ownFlags, commonFlags, flagValues: parsed.values, env: ctx.env, entry: target.entry, secrets: ctx.secrets })
  for (const warning of warnings) ctx.err(`fusekit: warning: ${warning}`)
  const effective = validMountOptions(descriptor, mountOptions)
  // auto's choice, not one asked for by name: say which options made it.
  const libfuseOnly = effective.driver === 'fuse-native' && (mountOptions.driver ?? 'auto') === 'auto' ? libfuseOnlyOptions(effective) : []
  if (libfuseOnly.length > 0) {
    // Measured: a cold find of 10,834 passthrough entries used 1.1-1.4 s of CPU so, 0.29-0.42 s without -o.
    ctx.err(`fusekit: note: -o ${libfuseOnly.join(',')} only libfuse takes: mounting with the fuse-native driver, which is slower (the mount flags, see --help, keep the low-level one)`)
  }

  await assertMountable(mountpoint, effective.fuseOptions)
  checkFuseEnvironment(effective.driver === 'lowlevel' ? 'lowlevel' : 'fuse-native')
  const logger = createConsoleLogger({ level: effective.debug ? 'debug' : 'info', secrets: ctx.secrets, write: ctx.err })
  const backend = reportingStartFailures(descriptor)
  return serveInForeground(() => mount({ backend, mountpoint, backendOptions, mountOptions, logger }), descriptor.name, ctx)
}

/** The flags `fusekit mount` takes for a backend: its own, from its schema, and the mount flags. */
export function mountCommandFlags(descriptor: BackendDescriptor): { ownFlags: BackendFlag[]; commonFlags: MountFlag[]; flags: FlagSpec[] } {
  const ownFlags = backendFlags(descriptor)
  const commonFlags = mountFlags(backendMountOptions(descriptor))
  // A backend option named like a mount flag (passthrough's --read-only) takes the flag; the value goes to both.
  return { ownFlags, commonFlags, flags: [...ownFlags, ...commonFlags.filter((f) => !ownFlags.some((own) => own.name === f.name))] }
}

function validMountOptions(descriptor: BackendDescriptor, chosen: Partial<MountOptions>): MountOptions {
  try {
    return backendMountOptions(descriptor, chosen)
  } catch (error) {
    if (error instanceof FsError) throw new UsageError(error.message.replace(/^EINVAL: /, ''))
    throw error
  }
}

/**
 * The descriptor with a create() whose unexpected failures (a bug, a missing service) name the
 * backend. An FsError is the backend's own deliberate one-line report ("EACCES: bucket x: access
 * denied") and passes as it is.
 */
function reportingStartFailures(descriptor: BackendDescriptor): BackendDescriptor {
  const create = async (context: Parameters<BackendDescriptor['create']>[0]) => {
    try {
      return await descriptor.create(context)
    } catch (error) {
      if (error instanceof FsError) throw error
      throw new CliError(`backend ${descriptor.name} failed to start: ${oneLine(error)}`)
    }
  }
  return { ...descriptor, create } as BackendDescriptor
}
