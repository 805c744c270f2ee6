import { container as rootContainer, type DependencyContainer } from 'tsyringe'
import { z } from 'zod'
import { apiVersionProblem, backendMountOptions, type BackendDescriptor } from './backend.js'
import { bridgePathOperations } from './bridges/path-bridge.js'
import { pathsOverInodes } from './bridges/inode-paths.js'
import type { DriverMount, FuseDriver } from './driver.js'
import { FsError } from './errno.js'
import { FuseNativeDriver } from './fuse-native/driver.js'
import type { InodeOperations, InodeRequestName } from './inode-operations.js'
import { LowLevelDriver } from './lowlevel/lowlevel-driver.js'
import { createConsoleLogger, type Logger } from './logger.js'
import { assertMountable, mountState } from './mount-state.js'
import type { MountOptions } from './mount-options.js'
import type { Operations, RequestName } from './operations.js'
import { traceOperations } from './operation-trace.js'
import { RequestDispatcher } from './request-dispatcher.js'
import { MountResidentData } from './resident-data.js'
import { MountDirectoryRemovals } from './directory-removals.js'
import { BACKEND_OPTIONS, DIRECTORY_REMOVALS, FUSE_DRIVER, LOGGER, MOUNT_OPTIONS, MOUNTPOINT, OPERATIONS, RESIDENT_DATA } from './tokens.js'

export interface MountRequest {
  backend: BackendDescriptor
  mountpoint: string
  /** Raw backend options, validated by the backend's schema. */
  backendOptions?: unknown
  mountOptions?: Partial<MountOptions>
  logger?: Logger
  /** Defaults to the one mountOptions.driver names. */
  driver?: FuseDriver
}

export interface Mount {
  readonly mountpoint: string
  readonly options: MountOptions
  /** Detaches the mount and releases the backend. Safe to call more than once. */
  unmount(): Promise<void>
  /** Settles when the kernel ended the session by itself (unmounted from outside), where the driver can tell. */
  readonly ended?: Promise<void>
}

/** Validates backend options with the backend's schema, as an FsError(EINVAL) that lists the problems. */
export function parseBackendOptions<S extends z.ZodType>(backend: BackendDescriptor<S>, raw: unknown): z.output<S> {
  const result = backend.options.safeParse(raw ?? {})
  if (result.success) return result.data
  throw new FsError('EINVAL', `invalid options for backend ${backend.name}:\n${z.prettifyError(result.error)}`)
}

/** What the driver is handed: a dispatcher over the backend's operations, bridged to the driver's layer. */
interface Served {
  dispatcher: Pick<RequestDispatcher<Operations, RequestName>, 'close' | 'hotLoopMode'>
  start(): Promise<DriverMount>
  init(): Promise<void>
  destroy(): Promise<void>
}

/**
 * Mounts a backend: one child container per mount, owning the backend and the FUSE session. A
 * backend of one layer on a driver of the other gets a bridge in between (the path layer over
 * the inode layer for the low-level driver, the reverse for fuse-native).
 */
export async function mount(request: MountRequest): Promise<Mount> {
  const { backend } = request
  const versionProblem = apiVersionProblem(backend)
  if (versionProblem) throw new FsError('EINVAL', versionProblem)
  const options = backendMountOptions(backend, request.mountOptions)
  const backendOptions = parseBackendOptions(backend, request.backendOptions)
  const logger = request.logger ?? createConsoleLogger({ level: options.debug ? 'debug' : 'info' })
  await assertMountable(request.mountpoint, options.fuseOptions)

  const driver: FuseDriver = request.driver ?? (options.driver === 'lowlevel' ? new LowLevelDriver() : new FuseNativeDriver())
  const resident = new MountResidentData()
  const removals = new MountDirectoryRemovals()
  const { operations: created, container } = await createBackendOperations(backend, { mountpoint: request.mountpoint, options, backendOptions, logger, driver, resident, removals })
  const ops = options.debug ? traceOperations(created, logger) : created

  let served: Served | undefined
  let driverMount: DriverMount
  try {
    served = serve(backend, ops, driver, { mountpoint: request.mountpoint, options, logger, resident, removals })
    await served.init()
    const hotLoop = served.dispatcher.hotLoopMode === 'off' ? 'off' : `${served.dispatcher.hotLoopMode}, ${options.hotLoopMs} ms after each request`
    logger.debug(`${backend.layer}-layer backend on the ${driver.layer === 'inode' ? 'lowlevel' : 'fuse-native'} driver; hot loop: ${hotLoop}`)
    driverMount = await served.start()
  } catch (error) {
    served?.dispatcher.close()
    await (served ? served.destroy() : (ops as { destroy?: () => Promise<void> }).destroy?.())
    throw error instanceof FsError ? error : new FsError('EIO', `mounting ${request.mountpoint} failed: ${(error as Error).message}`, { cause: error })
  }

  let unmounting: Promise<void> | undefined
  return {
    mountpoint: request.mountpoint,
    options,
    ended: driverMount.ended,
    unmount: () =>
      (unmounting ??= (async () => {
        try {
          await driverMount.unmount()
        } catch (error) {
          // Unmounted from outside (fusermount -u): only the backend is left to release.
          if ((await mountState(request.mountpoint)) !== 'unmounted') throw error
        }
        served.dispatcher.close()
        await served.destroy()
        await container.dispose()
      })()),
  }
}

function serve(
  backend: BackendDescriptor,
  ops: Operations | InodeOperations,
  driver: FuseDriver,
  at: { mountpoint: string; options: MountOptions; logger: Logger; resident: MountResidentData; removals: MountDirectoryRemovals },
): Served {
  if (driver.layer === 'inode') {
    const inodes = backend.layer === 'inode' ? (ops as InodeOperations) : bridgePathOperations(ops as Operations)
    const dispatcher = new RequestDispatcher<InodeOperations, InodeRequestName>(inodes, at.logger, at.options)
    return {
      dispatcher,
      start: () => driver.mount({ ...at, handler: dispatcher }),
      init: async () => inodes.init?.(),
      destroy: async () => inodes.destroy?.(),
    }
  }
  const paths = backend.layer === 'path' ? (ops as Operations) : pathsOverInodes(ops as InodeOperations)
  const dispatcher = new RequestDispatcher<Operations, RequestName>(paths, at.logger, at.options)
  return {
    dispatcher,
    start: () => driver.mount({ ...at, handler: dispatcher }),
    init: async () => paths.init?.(),
    destroy: async () => paths.destroy?.(),
  }
}

/** A backend made for a mount, in the mount's own child container. */
export interface CreatedBackend {
  /** What create() returned: operations of the backend's layer. */
  operations: Operations | InodeOperations
  /** The mount's container, with the core's tokens and OPERATIONS registered; dispose it at unmount. */
  container: DependencyContainer
}

/**
 * Creates a backend as a mount does: one child container with the core's tokens, create() with
 * the validated options, and the operations checked against what its layer requires. Also for
 * running a backend without the kernel (the testkit's in-process tier), where `driver` is absent.
 */
export async function createBackendOperations(
  backend: BackendDescriptor,
  at: {
    mountpoint: string
    options: MountOptions
    backendOptions: unknown
    logger: Logger
    driver?: FuseDriver
    resident?: MountResidentData
    removals?: MountDirectoryRemovals
  },
): Promise<CreatedBackend> {
  const residentData = at.resident ?? new MountResidentData()
  const directoryRemovals = at.removals ?? new MountDirectoryRemovals()
  const container = rootContainer.createChildContainer()
  container.register(MOUNT_OPTIONS, { useValue: at.options })
  container.register(MOUNTPOINT, { useValue: at.mountpoint })
  container.register(BACKEND_OPTIONS, { useValue: at.backendOptions })
  container.register(LOGGER, { useValue: at.logger })
  if (at.driver) container.register(FUSE_DRIVER, { useValue: at.driver })
  container.register(RESIDENT_DATA, { useValue: residentData })
  container.register(DIRECTORY_REMOVALS, { useValue: directoryRemovals })
  const operations = await backend.create({ options: at.backendOptions, mountpoint: at.mountpoint, mountOptions: at.options, logger: at.logger, container, residentData, directoryRemovals })
  checkOperations(backend, operations)
  container.register(OPERATIONS, { useValue: operations })
  return { operations, container }
}

/** The operations a backend's create() returned must have what its layer requires. */
function checkOperations(backend: BackendDescriptor, ops: unknown): asserts ops is Operations | InodeOperations {
  const required = backend.layer === 'inode' ? ['lookup', 'getattr'] : ['getattr']
  const missing = required.filter((name) => typeof (ops as Record<string, unknown> | undefined)?.[name] !== 'function')
  if (missing.length > 0) {
    throw new FsError('EINVAL', `backend ${backend.name}: create() must return ${backend.layer}-layer operations with ${required.join(' and ')} (missing: ${missing.join(', ')})`)
  }
}
