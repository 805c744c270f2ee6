import { constants } from 'node:os'

/** Linux errno numbers by name (ENOENT, EACCES, ...), positive as in C. */
export const Errno = constants.errno

export type ErrnoName = keyof typeof constants.errno

const namesByNumber = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
)

/** The symbolic name of an errno number, or `E<number>` when unknown. */
export function errnoName(errno: number): string {
  return namesByNumber.get(errno) ?? `E${errno}`
}

/**
 * The one error type of fusekit: a failed operation carrying the errno the kernel will see.
 * Backends throw it (lookup and getxattr may also return it); anything else thrown is treated as
 * a bug and answered with EIO.
 */
export class FsError extends Error {
  override readonly name = 'FsError'
  readonly errno: number
  readonly code: string

  constructor(errno: number | ErrnoName, message?: string, options?: ErrorOptions) {
    const value = typeof errno === 'number' ? errno : constants.errno[errno]
    const code = errnoName(value)
    // An FsError is an answer, not a bug: skip the stack trace, which costs more than most
    // operations (ENOENT before every create, ENODATA before every write).
    const limit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(message ? `${code}: ${message}` : code, options)
    Error.stackTraceLimit = limit
    this.errno = value
    this.code = code
  }

  /**
   * The one FsError of `errno` without a message, shared and frozen: for answers expected on
   * hot paths (ENOENT of a lookup, ENODATA of a getxattr), which then make no object at all.
   */
  static of(errno: number | ErrnoName): FsError {
    const value = typeof errno === 'number' ? errno : constants.errno[errno]
    let error = shared.get(value)
    if (error === undefined) shared.set(value, (error = Object.freeze(new FsError(value))))
    return error
  }
}

const shared = new Map<number, FsError>()

/** The value of an answer that may be an FsError returned rather than thrown (see InodeOperations). */
export function orThrow<T>(answer: T | FsError): T {
  if (answer instanceof FsError) throw answer
  return answer
}

/**
 * Converts a Node.js system error (fs, net, child_process) to an FsError with the same errno;
 * returns undefined for anything that is not a system error.
 */
export function mapErrno(error: unknown): FsError | undefined {
  if (error instanceof FsError) return error
  if (typeof error !== 'object' || error === null) return undefined
  const { code, errno } = error as { code?: unknown; errno?: unknown }
  if (typeof code === 'string' && code in constants.errno) {
    return new FsError(constants.errno[code as ErrnoName], undefined, { cause: error })
  }
  // libuv reports errno as a negative number.
  if (typeof errno === 'number' && errno !== 0 && namesByNumber.has(Math.abs(errno))) {
    return new FsError(Math.abs(errno), undefined, { cause: error })
  }
  return undefined
}
