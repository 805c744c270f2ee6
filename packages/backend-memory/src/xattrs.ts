import { FsError, XattrFlags } from '@fusekit/core'
import type { Capacity } from './capacity.js'

/** Linux's limits: XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX. */
export const XATTR_NAME_MAX = 255
export const XATTR_SIZE_MAX = 64 * 1024
export const XATTR_LIST_MAX = 64 * 1024

const KNOWN_FLAGS = XattrFlags.XATTR_CREATE | XattrFlags.XATTR_REPLACE

/**
 * The namespaces kept, as tmpfs keeps them. Not "system.": the kernel would enforce no POSIX
 * ACL stored here (libfuse 2 cannot enable FUSE_POSIX_ACL), and refusing it makes tools such as
 * `cp -a` fall back to chmod instead of believing an ACL set the mode.
 */
const NAMESPACES = 'user. trusted. security.'
const inNamespace = (name: string) => name.startsWith('user.') || name.startsWith('trusted.') || name.startsWith('security.')

/** The extended attributes of one inode; names and values count against the capacity. */
export class XattrStore {
  private readonly values = new Map<string, Buffer>()
  /** Bytes of the names as listxattr returns them (each with its NUL). */
  private listBytes = 0
  private charged = 0

  constructor(private readonly capacity: Capacity) {}

  /** A copy of the value, or ENODATA returned (asked before every write: security.capability). */
  get(name: string): Buffer | FsError {
    checkName(name)
    const value = this.values.get(name)
    return value === undefined ? FsError.of('ENODATA') : Buffer.from(value)
  }

  list(): string[] {
    return [...this.values.keys()]
  }

  /** Stores a copy of `value` (the caller's buffer is only lent). */
  set(name: string, value: Buffer, flags: number): void {
    const nameBytes = checkName(name)
    if (value.length > XATTR_SIZE_MAX) throw new FsError('E2BIG', `attribute values are at most ${XATTR_SIZE_MAX} bytes`)
    if ((flags & ~KNOWN_FLAGS) !== 0) throw new FsError('EINVAL', `unknown setxattr flags ${flags}`)
    const old = this.values.get(name)
    if (old !== undefined && flags & XattrFlags.XATTR_CREATE) throw new FsError('EEXIST', `attribute ${name} exists`)
    if (old === undefined && flags & XattrFlags.XATTR_REPLACE) throw new FsError('ENODATA', `no attribute ${name}`)
    const listGrowth = old === undefined ? nameBytes + 1 : 0
    if (this.listBytes + listGrowth > XATTR_LIST_MAX) throw new FsError('ENOSPC', `the attribute names would not fit in ${XATTR_LIST_MAX} bytes`)
    const delta = old === undefined ? nameBytes + value.length : value.length - old.length
    if (delta > 0) this.capacity.reserve(delta)
    else this.capacity.release(-delta)
    this.values.set(name, Buffer.from(value))
    this.charged += delta
    this.listBytes += listGrowth
  }

  remove(name: string): void {
    const nameBytes = checkName(name)
    const old = this.values.get(name)
    if (old === undefined) throw new FsError('ENODATA', `no attribute ${name}`)
    this.values.delete(name)
    this.capacity.release(nameBytes + old.length)
    this.charged -= nameBytes + old.length
    this.listBytes -= nameBytes + 1
  }

  /** Removes `name` if it is there. */
  discard(name: string): void {
    if (this.values.has(name)) this.remove(name)
  }

  /** Frees all attributes. */
  clear(): void {
    this.values.clear()
    this.capacity.release(this.charged)
    this.charged = 0
    this.listBytes = 0
  }
}

/** Returns the name's length in bytes; throws ERANGE, as Linux does, for an empty or too long name. */
function checkName(name: string): number {
  const bytes = Buffer.byteLength(name)
  if (bytes === 0 || bytes > XATTR_NAME_MAX) throw new FsError('ERANGE', `attribute names are 1 to ${XATTR_NAME_MAX} bytes`)
  if (!inNamespace(name)) throw new FsError('EOPNOTSUPP', `attribute ${name}: only the namespaces ${NAMESPACES} are supported`)
  return bytes
}
