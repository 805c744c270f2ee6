import { container as rootContainer } from 'tsyringe'
import { z } from 'zod'
import { backendMountOptions, type BackendDescriptor } from './backend.js'
import type { FuseDriver } from './driver.js'
import { FsError } from './errno.js'
import { FuseNativeDriver } from './fuse-native/driver.js'
import { LowLevelDriver } from './lowlevel/lowlevel-driver.js'
import { createConsoleLogger, type Logger } from './logger.js'
import { assertMountable, mountState } from './mount-state.js'
import type { MountOptions } from './mount-options.js'
import type { Operations } from './operations.js'
import { RequestDispatcher } from './request-dispatcher.js'
import { BACKEND_OPTIONS, FUSE_DRIVER, LOGGER, MOUNT_OPTIONS, MOUNTPOINT, OPERATIONS } from './tokens.js'

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
}

/** Validates backend options with the backend's schema, as an FsError(EINVAL) that lists the problems. */
export function parseBackendOptions<S extends z.ZodType>(backend: BackendDescriptor<S>, raw: unknown): z.output<S> {
  const result = backend.options.safeParse(raw ?? {})
  if (result.success) return result.data
  throw new FsError('EINVAL', `invalid options for backend ${backend.name}:\n${z.prettifyError(result.error)}`)
}

/** Mounts a backend: one child container per mount, owning the backend and the FUSE session. */
export async function mount(request: MountRequest): Promise<Mount> {
  const { backend } = request
  const options = backendMountOptions(backend, request.mountOptions)
  const backendOptions = parseBackendOptions(backend, request.backendOptions)
  const logger = request.logger ?? createConsoleLogger({ level: options.debug ? 'debug' : 'info' })
  await assertMountable(request.mountpoint, options.fuseOptions)

  const container = rootContainer.createChildContainer()
  container.register(MOUNT_OPTIONS, { useValue: options })
  container.register(MOUNTPOINT, { useValue: request.mountpoint })
  container.register(BACKEND_OPTIONS, { useValue: backendOptions })
  container.register(LOGGER, { useValue: logger })
  container.register(FUSE_DRIVER, { useValue: request.driver ?? (options.driver === 'lowlevel' ? new LowLevelDriver() : new FuseNativeDriver()) })

  const ops: Operations = await backend.create({ options: backendOptions, mountpoint: request.mountpoint, mountOptions: options, logger, container })
  if (typeof ops?.getattr !== 'function') throw new TypeError(`backend ${backend.name}: create() must return Operations with getattr`)
  container.register(OPERATIONS, { useValue: ops })
  await ops.init?.()

  let dispatcher: RequestDispatcher | undefined
  let driverMount
  try {
    dispatcher = container.resolve(RequestDispatcher)
    logger.debug(`hot loop: ${dispatcher.hotLoopMode}, ${options.hotLoopMs} ms after each request`)
    driverMount = await container.resolve(FUSE_DRIVER).mount({ mountpoint: request.mountpoint, handler: dispatcher, options })
  } catch (error) {
    dispatcher?.close()
    await ops.destroy?.()
    throw error instanceof FsError ? error : new FsError('EIO', `mounting ${request.mountpoint} failed: ${(error as Error).message}`, { cause: error })
  }

  let unmounting: Promise<void> | undefined
  return {
    mountpoint: request.mountpoint,
    options,
    unmount: () =>
      (unmounting ??= (async () => {
        try {
          await driverMount.unmount()
        } catch (error) {
          // Unmounted from outside (fusermount -u): only the backend is left to release.
          if ((await mountState(request.mountpoint)) !== 'unmounted') throw error
        }
        dispatcher.close()
        await ops.destroy?.()
        await container.dispose()
      })()),
  }
}
