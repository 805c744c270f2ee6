import type { Stat, StatVfs } from '../types.js'
import { Timespec } from '../types.js'

const TWO_32 = 0x1_0000_0000
const MAX_U32 = 0xffff_ffff

/** fuse-native carries inode numbers in 32 bits: fold the high half in rather than cut it off. */
export function foldIno(ino: number): number {
  return ino <= MAX_U32 ? ino : (ino % TWO_32 ^ Math.floor(ino / TWO_32)) >>> 0
}

/** Encodes a Stat the way fuse-native's C side reads it: 18 uint32 words, times in milliseconds. */
export function encodeStat(st: Stat): Uint32Array {
  const ints = new Uint32Array(18)
  ints[0] = st.mode
  ints[1] = st.uid
  ints[2] = st.gid
  setDouble(ints, 3, st.size)
  ints[5] = 0
  ints[6] = st.nlink
  ints[7] = foldIno(st.ino)
  ints[8] = st.rdev
  ints[9] = st.blksize
  setDouble(ints, 10, st.blocks)
  setDouble(ints, 12, Timespec.toMillis(st.atime))
  setDouble(ints, 14, Timespec.toMillis(st.mtime))
  setDouble(ints, 16, Timespec.toMillis(st.ctime))
  return ints
}

/** A stat carrying only what libfuse 2 reads from a listing's entries: inode number and type. */
export function encodeIdentity({ ino, type }: { ino: number; type: number }): Uint32Array {
  const ints = new Uint32Array(18)
  ints[0] = type
  ints[7] = foldIno(ino)
  return ints
}

function setDouble(ints: Uint32Array, index: number, value: number): void {
  const low = value % TWO_32
  ints[index] = low
  ints[index + 1] = (value - low) / TWO_32
}

/** statvfs fields are 32-bit in fuse-native: grow the fragment size until the counts fit. */
export function toNativeStatVfs(s: StatVfs): StatVfs {
  let scale = 1
  while (Math.max(s.blocks, s.files) / scale > MAX_U32) scale *= 2
  const blocks = (n: number) => Math.min(MAX_U32, Math.floor(n / scale))
  return {
    ...s,
    bsize: s.bsize * scale,
    frsize: s.frsize * scale,
    blocks: blocks(s.blocks),
    bfree: blocks(s.bfree),
    bavail: blocks(s.bavail),
    files: Math.min(MAX_U32, s.files),
    ffree: Math.min(MAX_U32, s.ffree),
    favail: Math.min(MAX_U32, s.favail),
    fsid: s.fsid >>> 0,
  }
}

/**
 * libfuse 2 marks "leave this time unchanged" (UTIME_OMIT) as tv_sec 0 with a special tv_nsec,
 * which fuse-native's conversion to milliseconds turns into 1073 ms. UTIME_NOW, which looks the
 * same in milliseconds, never arrives: the shim (native/fuse-native-shim.c) resolves it first.
 */
export const UTIME_OMIT_MS = Math.floor(((1 << 30) - 2) / 1e6)

/** The two times of a utimens request; a time left as it is comes back undefined. */
export function resolveTimes(atimeMs: number, mtimeMs: number): [Timespec | undefined, Timespec | undefined] {
  const time = (ms: number) => (ms === UTIME_OMIT_MS ? undefined : Timespec.fromMillis(ms))
  return [time(atimeMs), time(mtimeMs)]
}
