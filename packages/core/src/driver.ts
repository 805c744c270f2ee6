import type { MountOptions } from './mount-options.js'
import type { RequestArgs, RequestName, RequestResult } from './operations.js'

/** Answers a request: errno 0 with the value, or a positive errno. Called exactly once. */
export type Reply<T> = (errno: number, value?: T) => void

/** What a driver sees of the backend: which requests exist and how to run one. */
export interface RequestHandler {
  implements(name: RequestName): boolean
  dispatch<K extends RequestName>(name: K, args: RequestArgs<K>, reply: Reply<RequestResult<K>>): void
  /** The backend's real descriptor behind an open handle (Operations.backingFd), if any. */
  backingFd(fh: number): number | undefined
  /** The driver answered requests itself from such descriptors: they count as activity. */
  servedElsewhere(): void
}

export interface DriverMountRequest {
  mountpoint: string
  handler: RequestHandler
  options: MountOptions
}

export interface DriverMount {
  /** Detaches the filesystem from the kernel; requests in flight get ENOTCONN. */
  unmount(): Promise<void>
}

/** The binding between the kernel's FUSE protocol and a RequestHandler. */
export interface FuseDriver {
  mount(request: DriverMountRequest): Promise<DriverMount>
}
