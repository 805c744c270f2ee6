import type { DependencyContainer } from 'tsyringe'
import type { z } from 'zod'
import type { Logger } from './logger.js'
import { resolveMountOptions, type MountOptions } from './mount-options.js'
import type { InodeOperations } from './inode-operations.js'
import type { Operations } from './operations.js'
import type { ResidentData } from './resident-data.js'
import type { DirectoryRemovals } from './directory-removals.js'

/** The plugin API version this core implements; a descriptor declaring another is refused. */
export const BACKEND_API_VERSION = 2

/** What changed since each older plugin API version, for the one-line refusal. */
const CHANGES_SINCE: Readonly<Record<number, string>> = {
  1: 'in version 2 every operation receives a request context first (uid, gid, pid, umask, signal), fgetattr and ftruncate are gone (getattr, truncate, chmod, chown and utimens take an optional handle), rename takes flags, and the descriptor names its layer ("path" or "inode")',
}

/** The layer a backend implements: paths (Operations) or inodes (InodeOperations). */
export type BackendLayer = 'path' | 'inode'

/** What a backend's factory is given for one mount. */
export interface BackendContext<TOptions> {
  /** The backend's options, already validated and defaulted by its schema. */
  options: TOptions
  mountpoint: string
  mountOptions: MountOptions
  logger: Logger
  /** The mount's own child container, with the core tokens registered. */
  container: DependencyContainer
  /** Where the backend may offer bytes of open files it holds in memory, for the driver to answer random reads from. */
  residentData: ResidentData
  /** Where the backend may offer directories whose names the driver removes itself (unlinkat on their descriptor). */
  directoryRemovals: DirectoryRemovals
}

interface DescriptorBase<TSchema extends z.ZodType> {
  apiVersion: typeof BACKEND_API_VERSION
  /** Lower-case name used on the command line: `fusekit mount <name>`. */
  name: string
  description: string
  /** Options schema: `--help` and validation are derived from it (use .describe() on fields). */
  options: TSchema
  /** Mount-option defaults that suit this backend (caching, timeouts). */
  /**
   * Mount-option defaults that suit this backend, or a function of the driver giving them (some
   * choices are right on one driver only: the writeback cache, or keeping pages through hard links).
   */
  mountDefaults?: Partial<MountOptions> | ((driver: 'lowlevel' | 'fuse-native') => Partial<MountOptions>)
  /** Option keys whose values are secret: masked in logs and never echoed. */
  secretOptions?: readonly string[]
}

/** A backend that deals in paths, like fuse-python or libfuse's fuse.h; the core keeps the node table. */
export interface PathBackendDescriptor<TSchema extends z.ZodType = z.ZodType> extends DescriptorBase<TSchema> {
  layer: 'path'
  create(context: BackendContext<z.output<TSchema>>): Operations | Promise<Operations>
}

/** A backend that deals in inodes, like python-llfuse or libfuse's fuse_lowlevel.h. */
export interface InodeBackendDescriptor<TSchema extends z.ZodType = z.ZodType> extends DescriptorBase<TSchema> {
  layer: 'inode'
  create(context: BackendContext<z.output<TSchema>>): InodeOperations | Promise<InodeOperations>
}

/** A backend plugin: what a backend package default-exports. */
export type BackendDescriptor<TSchema extends z.ZodType = z.ZodType> = PathBackendDescriptor<TSchema> | InodeBackendDescriptor<TSchema>

const NAME = /^[a-z][a-z0-9-]*$/

/** Declares a backend; checks the descriptor's shape so mistakes surface at load time. */
export function defineBackend<TSchema extends z.ZodType>(descriptor: PathBackendDescriptor<TSchema>): PathBackendDescriptor<TSchema>
export function defineBackend<TSchema extends z.ZodType>(descriptor: InodeBackendDescriptor<TSchema>): InodeBackendDescriptor<TSchema>
export function defineBackend<TSchema extends z.ZodType>(descriptor: BackendDescriptor<TSchema>): BackendDescriptor<TSchema> {
  const problem = apiVersionProblem(descriptor)
  if (problem) throw new TypeError(problem)
  if (!NAME.test(descriptor.name)) throw new TypeError(`backend name "${descriptor.name}" must match ${NAME}`)
  const { layer } = descriptor as { layer: unknown }
  if (layer !== 'path' && layer !== 'inode') throw new TypeError(`backend ${descriptor.name}: layer must be "path" or "inode", got ${JSON.stringify(layer)}`)
  if (typeof descriptor.create !== 'function') throw new TypeError(`backend ${descriptor.name}: create must be a function`)
  return descriptor
}

/**
 * Why a descriptor's plugin API version cannot be served, in one line that names both versions
 * and what changed; undefined when it can.
 */
export function apiVersionProblem(descriptor: { name?: unknown; apiVersion?: unknown }): string | undefined {
  const { apiVersion } = descriptor
  if (apiVersion === BACKEND_API_VERSION) return undefined
  const name = typeof descriptor.name === 'string' ? descriptor.name : '(unnamed)'
  const changes = typeof apiVersion === 'number' ? CHANGES_SINCE[apiVersion] : undefined
  const advice = changes
    ? `: ${changes}; update the backend for @fusekit/core ${BACKEND_API_VERSION}`
    : typeof apiVersion === 'number' && apiVersion > BACKEND_API_VERSION
      ? ': it needs a newer fusekit; upgrade @fusekit/cli and @fusekit/core'
      : ''
  return `backend ${name} declares plugin API version ${String(apiVersion)}, this fusekit implements version ${BACKEND_API_VERSION}${advice}`
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
 * them every user would act with the rights of the one who mounted. When other users are let in
 * and the backend checks permissions itself, names are not cached: the kernel walks a cached
 * name without asking, so one user's lookup would let another through a directory it may not
 * search.
 */
export function backendMountOptions(backend: Pick<BackendDescriptor<z.ZodType>, 'name' | 'mountDefaults'>, chosen: Partial<MountOptions> = {}): MountOptions {
  const names = { fsname: backend.name, subtype: backend.name }
  const permissions = letsOthersIn(chosen) ? { defaultPermissions: true } : undefined
  const { mountDefaults } = backend
  // A backend's defaults by driver need the driver first: the one chosen, or auto's pick.
  const defaults = typeof mountDefaults === 'function' ? mountDefaults(resolveMountOptions(names, chosen).driver as 'lowlevel' | 'fuse-native') : mountDefaults
  const options = resolveMountOptions(defaults, names, permissions, chosen)
  if (letsOthersIn(options) && !options.defaultPermissions) options.entryTimeout = 0
  return options
}

/** Whether users other than the one who mounts may use the mount (the flag, or the raw FUSE option). */
export function letsOthersIn(options: Partial<Pick<MountOptions, 'allowOther' | 'fuseOptions'>>): boolean {
  return options.allowOther === true || (options.fuseOptions?.includes('allow_other') ?? false)
}
