/** Longest file name in bytes (UTF-8), as on Linux. */
export const NAME_MAX = 255
/** Longest path in bytes, with its NUL: the limit for a symlink's target. */
export const PATH_MAX = 4096

/** Whether a name is longer than NAME_MAX bytes; cheap for the usual short names. */
export function isTooLong(name: string): boolean {
  // A UTF-16 code unit is at most 3 UTF-8 bytes.
  return name.length > NAME_MAX || (name.length * 3 > NAME_MAX && Buffer.byteLength(name) > NAME_MAX)
}
