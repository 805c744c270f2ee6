import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sessionAddon } from '../src/lowlevel/session-addon.js'
import { allocateRetained, dropPages, releaseRetained } from '../src/retained-memory.js'

const MiB = 1024 * 1024
/** V8's count of external memory now (an adjustment of 0 bytes reads it). */
const externalMemory = () => sessionAddon().adjustExternalMemory(0)
/** This process's resident memory, from the kernel. */
const residentBytes = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024

describe('allocateRetained', () => {
  it('gives a Buffer of its own whose bytes V8 does not count toward collecting, and counts them again at release', () => {
    const before = externalMemory()
    const plain = Buffer.allocUnsafeSlow(16 * MiB)
    // A plain Buffer: V8 counts its 16 MiB.
    expect(externalMemory() - before).toBeGreaterThanOrEqual(16 * MiB)
    const counted = externalMemory()
    const retained = allocateRetained(16 * MiB)
    expect(retained.length).toBe(16 * MiB)
    expect(retained.buffer.byteLength).toBe(16 * MiB)
    expect(retained.buffer).not.toBe(plain.buffer)
    // Allocated and not counted: the total is where it was (other allocations meanwhile are small).
    expect(Math.abs(externalMemory() - counted)).toBeLessThan(MiB)
    releaseRetained(retained)
    expect(externalMemory() - counted).toBeGreaterThanOrEqual(16 * MiB)
  })

  it('makes the pages of memory about to be filled present at once when asked (prefault)', () => {
    // 64 MiB: above glibc's largest mmap threshold, so each allocation is a fresh mapping.
    const before = residentBytes()
    const lazy = allocateRetained(64 * MiB)
    const afterLazy = residentBytes()
    expect(afterLazy - before).toBeLessThan(8 * MiB)
    const prefaulted = allocateRetained(64 * MiB, { prefault: true })
    expect(residentBytes() - afterLazy).toBeGreaterThanOrEqual(60 * MiB)
    expect(prefaulted.length).toBe(64 * MiB)
    releaseRetained(lazy)
    releaseRetained(prefaulted)
  })
})

describe('dropPages', () => {
  it('gives the resident memory of a Buffer’s whole pages back, which then read as zeros; bytes of pages it only shares stay', () => {
    const page = 4096
    const whole = Buffer.allocUnsafeSlow(64 * MiB)
    whole.fill(0xab)
    const before = residentBytes()
    // Starting and ending inside a page: those two pages are shared with bytes outside the view.
    const view = whole.subarray(page + 100, whole.length - page - 100)
    expect(dropPages(view)).toBe(true)
    expect(before - residentBytes()).toBeGreaterThanOrEqual(60 * MiB)
    const first = whole.byteOffset % page === 0 ? 0 : page - (whole.byteOffset % page)
    // The page holding the view's first bytes kept them; the next whole page is zeros.
    expect(view[0]).toBe(0xab)
    expect(whole.subarray(first + 2 * page, first + 3 * page).every((byte) => byte === 0)).toBe(true)
    expect(whole[whole.length - 1]).toBe(0xab)
    whole.fill(0xcd, 0, 8 * MiB)
    expect(whole[4 * MiB]).toBe(0xcd)
  })
})
