import { backendMountOptions, FsError, type BackendDescriptor, type MountOptions } from '@fusekit/core'
import type { NamedMount } from '../config/config-file.js'
import { fieldPath } from '../config/field-path.js'
import { UsageError } from '../errors.js'
import { envOptions } from './env-options.js'
import { mountOptionsFrom, type MountFlag } from './mount-flags.js'
import { backendOptionsFrom, validateBackendOptions, type BackendFlag, type OptionOrigin } from './schema-flags.js'

export interface LayeredOptions {
  /** Raw backend options, validated by the backend's schema. */
  backendOptions: Record<string, unknown>
  mountOptions: Partial<MountOptions>
  /** Things to tell the user that do not stop the mount. */
  warnings: string[]
}

export interface OptionSources {
  descriptor: BackendDescriptor
  ownFlags: readonly BackendFlag[]
  commonFlags: readonly MountFlag[]
  /** Parsed command-line values, by flag name. */
  flagValues: ReadonlyMap<string, unknown>
  env: NodeJS.ProcessEnv
  entry: NamedMount | undefined
  /** Filled with the values of secret options, from wherever they came, before anything is validated. */
  secrets: string[]
}

/**
 * The options of one mount from its three sources, each over the one before: a named mount's
 * entry in the config file, the environment (`FUSEKIT_<BACKEND>_<OPTION>`, backend options only),
 * the command line. `-o` lists add up; other mount options replace.
 */
export function layerOptions(sources: OptionSources): LayeredOptions {
  const { descriptor, ownFlags, commonFlags, entry } = sources
  const env = envOptions(descriptor.name, ownFlags, sources.env)
  // Environment values stand in for flags, so one named like a mount flag goes to both, as the flag does.
  const values = new Map([...env.values, ...sources.flagValues])
  const fromFile = entry ? fileOptions(entry, ownFlags) : {}
  const fromValues = backendOptionsFrom(values, ownFlags)
  const backendOptions = { ...fromFile, ...fromValues }

  const origins = new Map<string, OptionOrigin>()
  for (const flag of ownFlags) {
    const variable = env.variables.get(flag.name)
    if (sources.flagValues.has(flag.name)) continue
    if (variable) origins.set(flag.key, { kind: 'env', variable })
    else if (entry && Object.hasOwn(fromFile, flag.key)) origins.set(flag.key, { kind: 'file', file: entry.file, entry: entry.name })
  }
  for (const flag of ownFlags) if (flag.secret && backendOptions[flag.key] !== undefined) sources.secrets.push(...[backendOptions[flag.key]].flat().map(String))
  validateBackendOptions(descriptor, backendOptions, ownFlags, origins)

  return {
    backendOptions,
    mountOptions: entry ? overFile(entry, descriptor, mountOptionsFrom(values, commonFlags)) : mountOptionsFrom(values, commonFlags),
    warnings: env.unknown.map((variable) => `${variable} is not an option of backend ${descriptor.name}; ignored (see fusekit mount ${descriptor.name} --help)`),
  }
}

/** An entry's backend options; a key the backend does not have is an error of the file. */
function fileOptions(entry: NamedMount, flags: readonly BackendFlag[]): Record<string, unknown> {
  const keys = new Set(flags.map((f) => f.key))
  const unknown = Object.keys(entry.options).filter((key) => !keys.has(key))
  if (unknown.length > 0) {
    const fields = unknown.map((key) => `${fieldPath(['mounts', entry.name, 'options', key])}: not an option of backend ${entry.backend}`)
    throw new UsageError(`${entry.file}: ${fields.join('; ')} (its options: ${[...keys].join(', ') || 'none'})`)
  }
  return entry.options
}

/** An entry's mount options under the command line's; checked alone first, so that a bad one is reported as the file's. */
function overFile(entry: NamedMount, descriptor: BackendDescriptor, chosen: Partial<MountOptions>): Partial<MountOptions> {
  try {
    backendMountOptions(descriptor, entry.mountOptions)
  } catch (error) {
    if (error instanceof FsError) throw new UsageError(`${entry.file}: ${fieldPath(['mounts', entry.name, 'mountOptions'])}: ${error.message.replace(/^EINVAL: invalid mount option: /, '')}`)
    throw error
  }
  const merged = { ...entry.mountOptions, ...chosen }
  if (entry.mountOptions.fuseOptions && chosen.fuseOptions) merged.fuseOptions = [...entry.mountOptions.fuseOptions, ...chosen.fuseOptions]
  return merged
}
