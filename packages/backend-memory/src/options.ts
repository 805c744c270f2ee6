import { totalmem } from 'node:os'
import { z } from 'zod'

const PAGE = 4096

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  t: 2 ** 40,
  p: 2 ** 50,
}

const WITH_UNIT = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$/i
const PERCENT = /^(\d+(?:\.\d+)?)\s*%$/

/**
 * Parses a capacity: a number of bytes, a string with a binary suffix ("512k", "64M", "1G",
 * "2TiB"), or a share of RAM ("25%"). The result is whole pages, rounded down, and at least one.
 */
export function parseSize(value: number | string, ram: number = totalmem()): number {
  const bytes = typeof value === 'number' ? value : bytesOf(value.trim(), ram)
  if (!Number.isFinite(bytes)) throw new TypeError(`size ${JSON.stringify(value)} is not a number of bytes`)
  const rounded = Math.floor(bytes / PAGE) * PAGE
  if (rounded < PAGE) throw new TypeError(`size ${JSON.stringify(value)} is below the minimum of ${PAGE} bytes`)
  if (rounded > Number.MAX_SAFE_INTEGER) throw new TypeError(`size ${JSON.stringify(value)} is too large`)
  return rounded
}

function bytesOf(text: string, ram: number): number {
  const percent = PERCENT.exec(text)
  if (percent) return (Number(percent[1]) / 100) * ram
  const sized = WITH_UNIT.exec(text)
  if (!sized) {
    throw new TypeError(`size "${text}" is not understood: give bytes, a number with a suffix k, M, G, T or P (like 64M), or a share of RAM (like 25%)`)
  }
  return Number(sized[1]) * (UNITS[(sized[2] ?? '').toLowerCase()] ?? 1)
}

export const memoryOptions = z.strictObject({
  size: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      try {
        return parseSize(value)
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value })
        return z.NEVER
      }
    })
    // Like tmpfs: half of the machine's RAM.
    .prefault('50%')
    .describe('Capacity: bytes, or with a suffix (512k, 64M, 1G), or a share of RAM (25%). Default: half of RAM, like tmpfs.'),
})

/** The memory backend's options, after validation. */
export type MemoryOptions = z.output<typeof memoryOptions>
