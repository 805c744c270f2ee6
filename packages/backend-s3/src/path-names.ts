import { FsError } from '@fusekit/core'
import type { ObjectKeys } from './object-keys.js'

/** The longest name a component may have, as on Linux filesystems (NAME_MAX). */
const NAME_MAX = 255
/** The longest key S3 takes, in bytes of UTF-8. */
const KEY_MAX = 1024

/**
 * Refuses a path whose last name is longer than 255 bytes, or whose key would pass S3's 1,024
 * bytes, with ENAMETOOLONG: the kernel lets FUSE names up to 1,024 bytes through.
 */
export function checkPathLength(path: string, keys: ObjectKeys): void {
  const name = path.slice(path.lastIndexOf('/') + 1)
  if (Buffer.byteLength(name) > NAME_MAX) throw new FsError('ENAMETOOLONG')
  if (Buffer.byteLength(keys.dirKey(path)) > KEY_MAX) throw new FsError('ENAMETOOLONG', `the key of ${path} would pass S3's ${KEY_MAX} bytes`)
}
