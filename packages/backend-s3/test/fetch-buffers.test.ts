import { afterEach, describe, expect, it, vi } from 'vitest'
import { FetchBuffers } from '../src/fetch-buffers.js'

const KiB = 1024

describe('FetchBuffers', () => {
  it('hands out buffers of a power-of-two class and takes one given back for any size of its class', () => {
    const buffers = new FetchBuffers(2048 * KiB)
    const a = buffers.take(300 * KiB)
    expect(a.length).toBe(512 * KiB)
    expect(buffers.take(1).length).toBe(64 * KiB)
    buffers.give(a)
    expect(buffers.held).toBe(512 * KiB)
    expect(buffers.take(200 * KiB)).not.toBe(a)
    expect(buffers.take(400 * KiB)).toBe(a)
    expect(buffers.held).toBe(0)
  })

  it('keeps at most its limit idle, dropping the buffers given back first', () => {
    const buffers = new FetchBuffers(1024 * KiB)
    const [first, second, third] = [buffers.take(512 * KiB), buffers.take(256 * KiB), buffers.take(512 * KiB)]
    buffers.give(first)
    buffers.give(second)
    expect(buffers.held).toBe(768 * KiB)
    // 1,280 KiB would be more than 1 MiB: the oldest (first) goes.
    buffers.give(third)
    expect(buffers.held).toBe(768 * KiB)
    expect(buffers.take(512 * KiB)).toBe(third)
    expect(buffers.take(512 * KiB)).not.toBe(first)
    expect(buffers.take(256 * KiB)).toBe(second)
    expect(buffers.held).toBe(0)
  })
})

describe('FetchBuffers when unused', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gives the memory of its idle buffers back once a whole idle period passed with no take or give', () => {
    vi.useFakeTimers()
    const buffers = new FetchBuffers(8192 * KiB, 1000)
    const [kept, other] = [buffers.take(4096 * KiB), buffers.take(4096 * KiB)]
    kept.fill(0xab)
    buffers.give(kept)
    vi.advanceTimersByTime(900)
    // Used within the period: nothing dropped at its end.
    buffers.give(other)
    vi.advanceTimersByTime(200)
    expect(kept[2048 * KiB]).toBe(0xab)
    vi.advanceTimersByTime(1000)
    // Its whole pages read as zeros now: their memory went back to the system.
    expect(kept[2048 * KiB]).toBe(0)
    expect(buffers.held).toBe(8192 * KiB)
    expect(buffers.take(4096 * KiB)).toBe(other)
  })
})
