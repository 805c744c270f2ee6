import { calls, check } from './source-calls.js'

/**
 * Extended attributes of `name` in the directory `dirFd` (never of what a symlink points to). The
 * calls are synchronous: the kernel asks for security.capability before every write, so they sit
 * on a hot path, and a local getxattr takes about a microsecond.
 */
export const xattrs = {
  get(dirFd: number, name: string, attribute: string): Buffer {
    return check(calls.getxattrAt(dirFd, name, attribute))
  },

  list(dirFd: number, name: string): string[] {
    const names = check(calls.listxattrAt(dirFd, name)).toString('utf8')
    return names.split('\0').filter((n) => n !== '')
  },

  /** `flags` (XATTR_CREATE, XATTR_REPLACE) are the kernel's, so they hold against other writers. */
  set(dirFd: number, name: string, attribute: string, value: Buffer, flags: number): void {
    check(calls.setxattrAt(dirFd, name, attribute, value, flags))
  },

  remove(dirFd: number, name: string, attribute: string): void {
    check(calls.removexattrAt(dirFd, name, attribute))
  },
}
