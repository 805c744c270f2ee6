/**
 * Where a path lives in the bucket, as s3fs-fuse lays it out: key = prefix + path without its
 * leading "/"; a directory is every key under "dir/" (a common prefix) and, when made by a
 * filesystem, a zero-byte marker object "dir/". The root is the prefix itself and has no marker.
 */
export class ObjectKeys {
  /** `prefix`: "" or a folder of the bucket ("team/data/", a trailing "/" is added when missing). */
  constructor(readonly prefix: string = '') {
    if (prefix !== '' && !prefix.endsWith('/')) this.prefix = `${prefix}/`
  }

  /** The object of a file or symlink at `path` ("/a/b" → "prefix/a/b"). */
  fileKey(path: string): string {
    return this.prefix + path.slice(1)
  }

  /** The marker of the directory at `path`, also the prefix of its children ("/a" → "prefix/a/"). */
  dirKey(path: string): string {
    return path === '/' ? this.prefix : `${this.prefix}${path.slice(1)}/`
  }

  /** The path of a key listed under this prefix; undefined for keys outside it. */
  pathOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix)) return undefined
    const rest = key.slice(this.prefix.length)
    return `/${rest.endsWith('/') ? rest.slice(0, -1) : rest}`
  }
}
