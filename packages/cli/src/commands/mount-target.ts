import { resolve } from 'node:path'
import { builtinBackends } from '../backends/builtin.js'
import { resolveBackend, UnknownBackendError, type ResolvedBackend } from '../backends/resolve.js'
import { findConfigFile, readConfigFile, type ConfigFile, type NamedMount } from '../config/config-file.js'
import { isEntryName } from '../config/config-schema.js'
import { fieldPath } from '../config/field-path.js'
import type { CliContext } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import type { FlagSpec } from '../options/flags.js'

export const CONFIG_FLAG: FlagSpec = {
  name: 'config',
  takesValue: true,
  label: 'file',
  description: 'Config file of named mounts (default: the first of ./fusekit.config.{json,yaml,yml}, then the same in $XDG_CONFIG_HOME/fusekit)',
}

export interface MountTarget {
  backend: ResolvedBackend
  /** The named mount, when the name given is one. */
  entry: NamedMount | undefined
}

/**
 * What `fusekit mount <name>` mounts: the named mount <name> when the config file in force
 * defines it, else the backend <name>. A built-in backend's name never names a mount (the config
 * file may not use one), so for those the file is read only when --config is given.
 */
export async function mountTarget(name: string, configFile: string | undefined, ctx: CliContext): Promise<MountTarget> {
  const config = configFile !== undefined ? readConfigFile(resolve(ctx.cwd, configFile)) : isEntryName(name) && !Object.hasOwn(builtinBackends, name) ? foundConfig(ctx) : undefined
  const entry = config?.mounts.get(name)
  if (configFile !== undefined && !entry) throw new UsageError(`${config?.path} has no named mount "${name}" (it has: ${entryList(config)})`)
  try {
    return { backend: await resolveBackend(entry?.backend ?? name, ctx.cwd), entry }
  } catch (error) {
    if (entry && error instanceof CliError) {
      throw new CliError(`${entry.file}: ${fieldPath(['mounts', entry.name, 'backend'])}: ${error.message}`, error.exitCode)
    }
    if (config && error instanceof UnknownBackendError) throw new UnknownBackendError(`${error.message}; nor is it a named mount of ${config.path} (it has: ${entryList(config)})`)
    throw error
  }
}

/** The named mounts of the config file in force, for help: a line saying what they are or what is wrong. */
export function namedMountsLine(ctx: CliContext): string {
  try {
    const config = foundConfig(ctx)
    return config ? `Named mounts in ${config.path}: ${entryList(config)}` : 'Named mounts: none (no config file here or in $XDG_CONFIG_HOME/fusekit)'
  } catch (error) {
    return `Named mounts: ${(error as Error).message}`
  }
}

function foundConfig(ctx: CliContext): ConfigFile | undefined {
  const path = findConfigFile(ctx.cwd, ctx.env)
  return path === undefined ? undefined : readConfigFile(path)
}

function entryList(config: ConfigFile | undefined): string {
  const names = [...(config?.mounts.keys() ?? [])]
  return names.length > 0 ? names.join(', ') : 'none'
}
