import { afterEach, describe, expect, it, vi } from 'vitest'
import { preciseWallMillis } from '../src/wall-clock.js'

afterEach(() => {
  vi.restoreAllMocks()
})

/** Calls the clock and checks the value against the milliseconds Date.now() gives around the call (a microsecond past the last one allowed). */
function checkedCall(): number {
  const before = Date.now()
  const value = preciseWallMillis()
  const after = Date.now()
  expect(value).toBeGreaterThanOrEqual(before)
  expect(value).toBeLessThan(after + 1.001)
  return value
}

const increasing = (values: number[]) => values.every((value, i) => i === 0 || value > values[i - 1]!)

/** Date.now() and performance.now() driven by the test: `wall` (with its fraction) and `monotonic`. */
function scriptedClocks(start: number) {
  const clocks = { wall: start, monotonic: 0 }
  vi.spyOn(Date, 'now').mockImplementation(() => Math.floor(clocks.wall))
  vi.spyOn(performance, 'now').mockImplementation(() => clocks.monotonic)
  return clocks
}

describe('the precise wall clock', () => {
  it('tells apart calls microseconds apart, always within the millisecond of Date.now()', () => {
    const values: number[] = []
    for (let i = 0; i < 2000; i++) {
      for (const start = performance.now(); performance.now() - start < 0.002; );
      values.push(checkedCall())
    }
    expect(increasing(values)).toBe(true)
    // Far more values than milliseconds passed: the fraction is real.
    expect(new Set(values.map(Math.floor)).size).toBeLessThan(values.length / 2)
  })

  it('goes on forward, with its fraction, while the wall clock is slewed slower or faster than the monotonic one', () => {
    const clocks = scriptedClocks(Date.UTC(2030, 0, 1))
    const values: number[] = []
    for (let step = 0; step < 1000; step++) {
      // 0.3 ms apart; the wall clock 5% slower, then 5% faster, every 100 calls.
      clocks.monotonic += 0.3
      clocks.wall += Math.floor(step / 100) % 2 === 0 ? 0.285 : 0.315
      values.push(checkedCall())
    }
    expect(increasing(values)).toBe(true)
    // Whole milliseconds only where the wall clock had got ahead (its start is the nearest instant).
    expect(values.filter((value) => value !== Math.floor(value)).length).toBeGreaterThan(800)
  })

  it('stays after a value given at the very end of a millisecond when the wall clock lags', () => {
    const clocks = scriptedClocks(Date.UTC(2030, 0, 1, 0, 0, 5))
    expect(checkedCall()).toBe(clocks.wall)
    clocks.monotonic += 0.9995
    clocks.wall += 0.9995
    const endOfMillisecond = checkedCall()
    // The monotonic clock goes on; the wall clock has not reached the next millisecond yet.
    clocks.monotonic += 0.01
    expect(checkedCall()).toBeGreaterThan(endOfMillisecond)
  })

  it('follows a wall clock stepped far, at once and exactly', () => {
    const clocks = scriptedClocks(Date.UTC(2030, 0, 1))
    for (const wall of [Date.UTC(2030, 0, 1), Date.UTC(2031, 0, 1), Date.UTC(2029, 0, 1)]) {
      clocks.wall = wall
      expect(preciseWallMillis()).toBe(wall)
    }
  })
})
