import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { sessionAddon } from '../src/lowlevel/session-addon.js'
import { allocateRetained, releaseRetained } from '../src/retained-memory.js'

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
