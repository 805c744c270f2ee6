import { createRequire } from 'node:module'
import { FsError } from '@fusekit/core'

/** The native calls (native/source-calls.c); each returns a negative errno on failure. */
interface SourceCalls {
  openBeneath(rootFd: number, path: string, flags: number, mode: number): number
  statAt(dirFd: number, name: string, out: Float64Array): number
  unlinkAt(dirFd: number, name: string, flags: number): number
  /** `rdev` in the kernel's 32-bit encoding, as FUSE passes it. */
  mknodAt(dirFd: number, name: string, mode: number, rdev: number): number
  renameAt(fromDir: number, fromName: string, toDir: number, toName: string, flags: number): number
  linkAt(fromDir: number, fromName: string, toDir: number, toName: string): number
  symlinkAt(target: string, dirFd: number, name: string): number
  readlinkAt(dirFd: number, name: string): string | number
  chownAt(dirFd: number, name: string, uid: number, gid: number): number
  utimensAt(dirFd: number, name: string, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): number
  readDirectory(dirFd: number): [names: string[], inos: Float64Array, types: Uint8Array] | number
  getxattrAt(dirFd: number, name: string, attribute: string): Buffer | number
  /** The names, each ended by a NUL. */
  listxattrAt(dirFd: number, name: string): Buffer | number
  setxattrAt(dirFd: number, name: string, attribute: string, value: Buffer, flags: number): number
  removexattrAt(dirFd: number, name: string, attribute: string): number
}

export const calls = createRequire(import.meta.url)('../dist/source-calls.node') as SourceCalls

/** unlinkat's flag that makes it rmdir. */
export const AT_REMOVEDIR = 0x200

/** Passes a call's result through, or throws the FsError its negative errno stands for. */
export function check<T>(result: T | number): T {
  if (typeof result === 'number' && result < 0) throw new FsError(-result)
  return result as T
}
