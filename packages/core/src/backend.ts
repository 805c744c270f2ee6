import type { DependencyContainer } from 'tsyringe'
import type { z } from 'zod'
import type { Logger } from './logger.js'
import { resolveMountOptions, type MountOptions } from './mount-options.js'
import type { Operations } from './operations.js'

/** The plugin API version this core implements; a descriptor declaring another is refused. */
export const BACKEND_API_VERSION = 1

/** What a backend's factory is given for one mount. */
export interface BackendContext<TOptions> {
  /** The backend's options, already validated and defaulted by its schema. */
  options: TOptions
  mountpoint: string
  mountOptions: MountOptions
  logger: Logger
  /** The mount's own child container, with the core tokens registered. */
  container: DependencyContainer
}

/** A backend plugin: what a backend package default-exports. */
export interface BackendDescriptor<TSchema extends z.ZodType = z.ZodType> {
  apiVersion: typeof BACKEND_API_VERSION
  /** Lower-case name used on the command line: `fusekit mount <name>`. */
  name: string
  description: string
  /** Options schema: `--help` and validation are derived from it (use .describe() on fields). */
  options: TSchema
  /** Mount-option defaults that suit this backend (caching, timeouts). */
  mountDefaults?: Partial<MountOptions>
  /** Option keys whose values are secret: masked in logs and never echoed. */
  secretOptions?: readonly string[]
  create(context: BackendContext<z.output<TSchema>>): Operations | Promise<Operations>
}

const NAME = /^[a-z][a-z0-9-]*$/

/** Declares a backend; checks the descriptor's shape so mistakes surface at load time. */
export function defineBackend<TSchema extends z.ZodType>(descriptor: BackendDescriptor<TSchema>): BackendDescriptor<TSchema> {
  if (descriptor.apiVersion !== BACKEND_API_VERSION) {
    throw new TypeError(`backend ${descriptor.name}: apiVersion ${descriptor.apiVersion} is not supported (this core implements ${BACKEND_API_VERSION})`)
  }
  if (!NAME.test(descriptor.name)) throw new TypeError(`backend name "${descriptor.name}" must match ${NAME}`)
  if (typeof descriptor.create !== 'function') throw new TypeError(`backend ${descriptor.name}: create must be a function`)
  return descriptor
}

/** Whether a loaded module's default export looks like a backend descriptor. */
export function isBackendDescriptor(value: unknown): value is BackendDescriptor {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Partial<BackendDescriptor>
  return typeof v.name === 'string' && typeof v.create === 'function' && typeof v.apiVersion === 'number' && v.options !== undefined
}

/**
 * The mount options a backend runs with: the core's defaults, the backend's, then the ones chosen.
 * Letting other users in turns the kernel's permission checks on unless chosen otherwise: without
 * them every user would act with the rights of the one who mounted.
 */
export function backendMountOptions(backend: Pick<BackendDescriptor<z.ZodType>, 'name' | 'mountDefaults'>, chosen: Partial<MountOptions> = {}): MountOptions {
  const names = { fsname: backend.name, subtype: backend.name }
  return resolveMountOptions(backend.mountDefaults, names, chosen.allowOther ? { defaultPermissions: true } : undefined, chosen)
}
