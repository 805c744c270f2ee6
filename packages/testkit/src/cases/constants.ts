/** File type bits of st_mode, and their mask. */
export const S_IFMT = 0o170000
export const S_IFREG = 0o100000
export const S_IFDIR = 0o040000
export const S_IFLNK = 0o120000
export const S_IFIFO = 0o010000
export const S_IFCHR = 0o020000
export const S_IFBLK = 0o060000

export const S_ISUID = 0o4000
export const S_ISGID = 0o2000
export const S_ISVTX = 0o1000

/** fallocate(2) mode bits (linux/falloc.h). */
export const FALLOC_FL_KEEP_SIZE = 0x01
export const FALLOC_FL_PUNCH_HOLE = 0x02
export const FALLOC_FL_COLLAPSE_RANGE = 0x08
export const FALLOC_FL_ZERO_RANGE = 0x10
export const FALLOC_FL_INSERT_RANGE = 0x20
export const FALLOC_FL_UNSHARE_RANGE = 0x40

/** renameat2(2) flags (linux/fs.h). */
export const RENAME_NOREPLACE = 1
export const RENAME_EXCHANGE = 2

/** st_rdev as Linux encodes it in stat (new_encode_dev). */
export function makedev(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
}

/** A time in nanoseconds since the epoch from an ISO date and a count of nanoseconds within its second. */
export function nsOf(isoSecond: string, nanos: number): bigint {
  return BigInt(Date.parse(isoSecond)) * 1_000_000n + BigInt(nanos)
}
