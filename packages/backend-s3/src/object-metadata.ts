import type { Timespec } from '@fusekit/core'

// File type bits of st_mode (sys/stat.h).
export const S_IFMT = 0o170000
export const S_IFDIR = 0o040000
export const S_IFREG = 0o100000
export const S_IFLNK = 0o120000

/** What a filesystem needs to know of an object: a plain, Stat-like record. */
export interface ObjectAttributes {
  /** st_mode with the type bits. */
  mode: number
  uid: number
  gid: number
  size: number
  atime: Timespec
  mtime: Timespec
  ctime: Timespec
}

/** What S3 tells of an object: HEAD gives all of it, a listing all but metadata and type. */
export interface StoredObject {
  key: string
  size: number
  lastModified: Date
  /** User metadata as the SDK gives it: keys lowercase, without `x-amz-meta-`. */
  metadata?: Record<string, string>
  contentType?: string
}

/** Attributes of objects that carry none (written by other tools). */
export interface AttributeDefaults {
  uid: number
  gid: number
  /** Permission bits of files without `mode` (default 0644). */
  fileMode?: number
  /** Permission bits of directories without `mode` (default 0755). */
  dirMode?: number
}

const directoryContentTypes = new Set(['application/x-directory', 'httpd/unix-directory'])

/**
 * Decodes an object's attributes, as s3fs-fuse (1.90) writes them:
 * - `mode`: st_mode in decimal, normally with the type bits (s3fs's mkdir writes none: the type
 *   then comes from the key, "dir/" being a directory, or from the content type). Parsed like
 *   s3fs does (strtol base 0: "0755" octal, "0x1ed" hex, else decimal).
 * - `uid`, `gid`: decimal.
 * - `mtime`, `ctime`, `atime`: epoch seconds, s3fs writes whole seconds, and "sec.nnnnnnnnn"
 *   after utimens with nanoseconds; rclone writes `mtime` the same way with up to 9 fraction
 *   digits (trailing zeros dropped). RFC 3339 ("2023-11-14T22:13:20.123456789Z") is also read.
 *   A missing time is the object's LastModified (so is every time of a plain object).
 * A symlink is an object with the S_IFLNK type whose body is the target.
 */
export function decodeAttributes(object: StoredObject, defaults: AttributeDefaults): ObjectAttributes {
  const meta = object.metadata ?? {}
  const isDirKey = object.key.endsWith('/') || directoryContentTypes.has(baseContentType(object.contentType))
  let mode = parseInteger(meta.mode)
  if (mode === undefined) {
    mode = isDirKey ? S_IFDIR | (defaults.dirMode ?? 0o755) : S_IFREG | (defaults.fileMode ?? 0o644)
  } else if ((mode & S_IFMT) === 0) {
    mode |= isDirKey ? S_IFDIR : S_IFREG
  }
  const lastModified = timespecOfDate(object.lastModified)
  const mtime = parseTime(meta.mtime) ?? lastModified
  return {
    mode,
    uid: parseInteger(meta.uid) ?? defaults.uid,
    gid: parseInteger(meta.gid) ?? defaults.gid,
    size: (mode & S_IFMT) === S_IFDIR ? 0 : object.size,
    mtime,
    ctime: parseTime(meta.ctime) ?? lastModified,
    atime: parseTime(meta.atime) ?? lastModified,
  }
}

/** A directory known only as a common prefix of other keys (no marker object): the defaults. */
export function prefixAttributes(defaults: AttributeDefaults, time: Timespec): ObjectAttributes {
  return { mode: S_IFDIR | (defaults.dirMode ?? 0o755), uid: defaults.uid, gid: defaults.gid, size: 0, mtime: time, ctime: time, atime: time }
}

/** The metadata to store with an object, in s3fs-fuse's spelling (see decodeAttributes). */
export function encodeAttributes(attributes: Omit<ObjectAttributes, 'size'>): Record<string, string> {
  return {
    mode: String(attributes.mode),
    uid: String(attributes.uid),
    gid: String(attributes.gid),
    mtime: formatTime(attributes.mtime),
    ctime: formatTime(attributes.ctime),
    atime: formatTime(attributes.atime),
  }
}

/** The metadata keys the codec writes; any other key is another tool's (or the user's). */
const attributeKeys = new Set(['mode', 'uid', 'gid', 'mtime', 'ctime', 'atime'])

/** The metadata of an object that is not attributes: kept when the object is written again. */
export function foreignMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const foreign: Record<string, string> = {}
  for (const [key, value] of Object.entries(metadata ?? {})) if (!attributeKeys.has(key)) foreign[key] = value
  return foreign
}

/** Content types an object has when nobody chose one. */
const defaultContentTypes = new Set([undefined, '', 'binary/octet-stream', 'application/octet-stream'])

/**
 * Whether an object's metadata is its attributes only and its content type the default one for
 * its type: what this mount writes. Such an object's metadata can be replaced without reading it
 * first (nothing else in it to keep).
 */
export function isPlainObject(object: Pick<StoredObject, 'metadata' | 'contentType'>, mode: number): boolean {
  if (Object.keys(foreignMetadata(object.metadata)).length > 0) return false
  const type = baseContentType(object.contentType)
  return (mode & S_IFMT) === S_IFDIR ? type === '' || directoryContentTypes.has(type) : defaultContentTypes.has(type)
}

/** The content type s3fs gives directory markers; other objects get a generic one. */
export function contentTypeFor(mode: number): string {
  return (mode & S_IFMT) === S_IFDIR ? 'application/x-directory' : 'application/octet-stream'
}

/** "sec" for whole seconds, else "sec.nnnnnnnnn": what s3fs 1.90 writes and reads exactly. */
export function formatTime(time: Timespec): string {
  return time.nsec === 0 ? String(time.sec) : `${time.sec}.${String(time.nsec).padStart(9, '0')}`
}

/** Epoch seconds with an optional fraction, or RFC 3339; undefined for anything else. */
export function parseTime(value: string | undefined): Timespec | undefined {
  if (value === undefined) return undefined
  const seconds = /^\s*(-?\d+)(?:\.(\d*))?\s*$/.exec(value)
  if (seconds) {
    const fraction = (seconds[2] ?? '').slice(0, 9).padEnd(9, '0')
    return { sec: Number(seconds[1]), nsec: Number(fraction) }
  }
  const rfc3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(value.trim())
  if (rfc3339) {
    const ms = Date.parse(`${rfc3339[1]}${rfc3339[3]}`)
    if (Number.isNaN(ms)) return undefined
    return { sec: Math.floor(ms / 1000), nsec: Number((rfc3339[2] ?? '').slice(0, 9).padEnd(9, '0')) }
  }
  return undefined
}

/** strtol with base 0, as s3fs reads modes: "0x" hex, a leading 0 octal, else decimal. */
function parseInteger(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16)
  if (/^0[0-7]+$/.test(text)) return parseInt(text, 8)
  if (/^\d+$/.test(text)) return Number(text)
  return undefined
}

function baseContentType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase()
}

function timespecOfDate(date: Date): Timespec {
  const ms = date.getTime()
  const sec = Math.floor(ms / 1000)
  return { sec, nsec: (ms - sec * 1000) * 1_000_000 }
}
