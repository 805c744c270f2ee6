import { getAttributeSync, listAttributesSync, removeAttributeSync, setAttributeSync } from '@napi-rs/xattr'
import { FsError, XattrFlags, mapErrno } from '@fusekit/core'

// @napi-rs/xattr calls the l*xattr variants (a final symlink is never followed) and reports
// failures as "<strerror> (os error N)" with no errno property.
const OS_ERROR = /\(os error (\d+)\)/

function xattrError(error: unknown): unknown {
  const match = error instanceof Error ? OS_ERROR.exec(error.message) : null
  if (match) return new FsError(Number(match[1]), undefined, { cause: error })
  return mapErrno(error) ?? error
}

function call<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw xattrError(error)
  }
}

/**
 * Extended attributes of the object at `entry` (a path whose final component is not followed).
 * The calls are synchronous: the kernel asks for security.capability before writes, so they sit
 * on a hot path, and a local getxattr takes about a microsecond.
 */
export const xattrs = {
  get(entry: string, name: string): Buffer {
    const value = call(() => getAttributeSync(entry, name))
    if (value !== null) return value
    // The package answers every failure with null; listing tells a missing attribute (ENODATA)
    // from a missing file or a filesystem without xattrs, whose errors it does report.
    call(() => listAttributesSync(entry))
    throw new FsError('ENODATA')
  },

  list(entry: string): string[] {
    return call(() => listAttributesSync(entry))
  },

  /**
   * XATTR_CREATE and XATTR_REPLACE are checked before the write (the package passes no flags):
   * between the check and the write another writer could create or remove the same attribute.
   */
  set(entry: string, name: string, value: Buffer, flags: number): void {
    if (flags & (XattrFlags.XATTR_CREATE | XattrFlags.XATTR_REPLACE)) {
      const exists = call(() => getAttributeSync(entry, name)) !== null
      if (exists && flags & XattrFlags.XATTR_CREATE) throw new FsError('EEXIST')
      if (!exists && flags & XattrFlags.XATTR_REPLACE) throw new FsError('ENODATA')
    }
    call(() => setAttributeSync(entry, name, value))
  },

  remove(entry: string, name: string): void {
    call(() => removeAttributeSync(entry, name))
  },
}
