const UNITS: Readonly<Record<string, number>> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }
const WITH_UNIT = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i

/** A number of bytes, or a string with a binary suffix ("512k", "8M", "1GiB"); whole bytes. */
export function parseByteSize(value: number | string): number {
  if (typeof value === 'number') return Math.floor(value)
  const sized = WITH_UNIT.exec(value.trim())
  if (!sized) throw new TypeError(`"${value}" is not a size: give bytes, or a number with a suffix k, M, G or T (like 8M)`)
  return Math.floor(Number(sized[1]) * UNITS[(sized[2] ?? '').toLowerCase()]!)
}
