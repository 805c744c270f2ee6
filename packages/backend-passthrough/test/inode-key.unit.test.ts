import { describe, expect, it } from 'vitest'
import { inodeKey } from '../src/stat.js'

/** A stat as the native calls write it: st_ino, then st_dev and st_ino's high and low 32 bits at 15–17. */
function fields(dev: number, high: number, low: number): Float64Array {
  const f = new Float64Array(18)
  f[0] = high * 2 ** 32 + low
  f[15] = dev
  f[16] = high
  f[17] = low
  return f
}

const HOME = 0x803

describe('inodeKey: the source inode a stat is of, exactly', () => {
  it('is st_ino itself on the source root device', () => {
    expect(inodeKey(fields(HOME, 0, 1234), HOME)).toBe(1234)
    expect(inodeKey(fields(HOME, 7, 5), HOME)).toBe(7 * 2 ** 32 + 5)
  })

  it('tells the same st_ino on another device apart (a mount inside the source)', () => {
    const there = inodeKey(fields(0x2a, 0, 1234), HOME)
    expect(there).toBe('42:0:1234')
    expect(there).not.toBe(inodeKey(fields(HOME, 0, 1234), HOME))
  })

  it('keeps inode numbers past 2^53 exact, where a double would round them', () => {
    const a = inodeKey(fields(HOME, 0xffff_ffff, 1), HOME)
    const b = inodeKey(fields(HOME, 0xffff_ffff, 2), HOME)
    expect(a).toBe(`${HOME}:4294967295:1`)
    expect(a).not.toBe(b)
  })
})
