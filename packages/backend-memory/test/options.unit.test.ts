import { totalmem } from 'node:os'
import { describe, expect, it } from 'vitest'
import { memoryOptions, parseSize } from '../src/index.js'
import { KiB, MiB } from './unit-helpers.js'

const GiB = 1024 * MiB

describe('parseSize', () => {
  it.each([
    [8192, 8192],
    ['8192', 8192],
    ['512k', 512 * KiB],
    ['512K', 512 * KiB],
    ['64M', 64 * MiB],
    ['64MiB', 64 * MiB],
    ['64mb', 64 * MiB],
    ['1G', GiB],
    ['1.5G', 1.5 * GiB],
    [' 2T ', 2 * 1024 * GiB],
    ['1P', 1024 * 1024 * GiB],
  ] as const)('reads %j as %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes)
  })

  it('reads a share of RAM', () => {
    expect(parseSize('25%', 16 * GiB)).toBe(4 * GiB)
    expect(parseSize('100%', 8 * GiB)).toBe(8 * GiB)
  })

  it('rounds down to whole 4 KiB pages', () => {
    expect(parseSize(10_000)).toBe(8192)
    expect(parseSize('1.001M')).toBe(Math.floor((1.001 * MiB) / 4096) * 4096)
  })

  it.each([
    ['abc', /not understood/],
    ['12X', /not understood/],
    ['-5M', /not understood/],
    ['', /not understood/],
    [100, /below the minimum of 4096 bytes/],
    [0, /below the minimum/],
    [-8192, /below the minimum/],
    [Number.NaN, /not a number/],
    [Number.POSITIVE_INFINITY, /not a number/],
    ['99999999P', /too large/],
  ] as const)('refuses %j with a clear message', (input, message) => {
    expect(() => parseSize(input)).toThrow(message)
  })
})

describe('memoryOptions', () => {
  it('defaults to half of RAM, like tmpfs', () => {
    expect(memoryOptions.parse({}).size).toBe(Math.floor(totalmem() / 2 / 4096) * 4096)
  })

  it('accepts a number or a string', () => {
    expect(memoryOptions.parse({ size: '64M' }).size).toBe(64 * MiB)
    expect(memoryOptions.parse({ size: 65536 }).size).toBe(65536)
  })

  it('reports an invalid size as an issue on "size" with the reason', () => {
    const result = memoryOptions.safeParse({ size: 'lots' })
    expect(result.success).toBe(false)
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['size'], message: expect.stringMatching(/"lots" is not understood/) })])
  })

  it('rejects values of another type and unknown options', () => {
    expect(memoryOptions.safeParse({ size: true }).success).toBe(false)
    const unknown = memoryOptions.safeParse({ sise: '1G' })
    expect(unknown.success).toBe(false)
    expect(unknown.error?.issues[0]?.code).toBe('unrecognized_keys')
  })
})
