import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, vi } from 'vitest'
import type { CpuLatency } from '../src/cpu-latency.js'
import { Errno, FsError } from '../src/errno.js'
import { HotLoop, hotLoopMode } from '../src/hot-loop.js'

const noDevice = () => {
  throw new FsError('EACCES', 'cannot open /dev/cpu_dma_latency for writing')
}

/** A CPU latency request that records what it is asked (the real one is a root-only device). */
function recordingLatency(failOn?: 'hold' | 'release') {
  const calls: string[] = []
  const record = (call: string) => () => {
    calls.push(call)
    if (call === failOn) throw new Error(`${call} refused`)
  }
  const latency: CpuLatency = { hold: record('hold'), release: record('release'), close: record('close') }
  return { calls, latency }
}

describe('HotLoop', () => {
  it('holds the CPU latency request once per burst and releases it after the window without requests', () => {
    // Fake time: on a loaded machine a real 10 ms sleep can outlast the 30 ms window.
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] })
    try {
      const { calls, latency } = recordingLatency()
      const loop = new HotLoop(30, 'cpu-latency', () => latency)
      expect(loop.mode).toBe('cpu-latency')
      for (let i = 0; i < 5; i++) {
        loop.touch()
        vi.advanceTimersByTime(10)
      }
      // The last request was 10 ms ago: released 30 ms after it, not before.
      expect(calls).toEqual(['hold'])
      vi.advanceTimersByTime(19)
      expect(calls).toEqual(['hold'])
      vi.advanceTimersByTime(2)
      expect(calls).toEqual(['hold', 'release'])
      loop.touch()
      expect(calls).toEqual(['hold', 'release', 'hold'])
      loop.close()
      expect(calls.at(-1)).toBe('close')
    } finally {
      vi.useRealTimers()
    }
  })

  it('polls the event loop when told to, only within the window after the last request, then stops', async () => {
    // When each poll was asked for; timed by what the loop saw, not by sleeps, which a loaded
    // machine stretches past the window.
    const asked: number[] = []
    const realImmediate = globalThis.setImmediate
    const immediate = vi.spyOn(globalThis, 'setImmediate').mockImplementation(((callback: () => void) => {
      asked.push(performance.now())
      return realImmediate(callback)
    }) as typeof setImmediate)
    try {
      const loop = new HotLoop(30, 'event-loop', noDevice)
      expect(loop.mode).toBe('event-loop')
      const touched = performance.now()
      loop.touch()
      await sleep(150)
      expect(asked.length).toBeGreaterThan(1)
      // Asked within the window, give or take a preemption between the loop's check and its call
      // (7 ms seen on a loaded machine); polling on to the end of the sleep would be 150.
      expect(asked.at(-1)! - touched).toBeLessThan(2 * 30)
      const polls = asked.length
      await sleep(50)
      expect(asked.length).toBe(polls)
    } finally {
      immediate.mockRestore()
    }
  })

  for (const [windowMs, way] of [[0, 'cpu-latency'], [30, 'off']] as const) {
    it(`does nothing and never opens the device with a window of ${windowMs} and the way ${way}`, () => {
      const immediate = vi.spyOn(globalThis, 'setImmediate')
      try {
        let opened = false
        const loop = new HotLoop(windowMs, way, () => {
          opened = true
          return recordingLatency().latency
        })
        loop.touch()
        expect(loop.mode).toBe('off')
        expect(opened).toBe(false)
        expect(immediate).not.toHaveBeenCalled()
      } finally {
        immediate.mockRestore()
      }
    })
  }

  it('is off by default', () => {
    expect(new HotLoop(30).mode).toBe('off')
  })

  it('polls the event loop without opening the device when told to', () => {
    let opened = false
    const loop = new HotLoop(30, 'event-loop', () => {
      opened = true
      return recordingLatency().latency
    })
    expect(loop.mode).toBe('event-loop')
    expect(opened).toBe(false)
  })

  it('fails with the reason when a CPU latency request is asked for by name and cannot be made', () => {
    expect(() => new HotLoop(30, 'cpu-latency', noDevice)).toThrow(expect.objectContaining({ errno: Errno.EACCES, message: expect.stringContaining('/dev/cpu_dma_latency') }))
  })

  it('falls back to polling the event loop when the device refuses a hold', () => {
    const { calls, latency } = recordingLatency('hold')
    const loop = new HotLoop(30, 'cpu-latency', () => latency)
    loop.touch()
    expect(calls).toEqual(['hold', 'close'])
    expect(loop.mode).toBe('event-loop')
  })

  it('tells which way mount options get, without keeping anything open', () => {
    expect(hotLoopMode({ hotLoopMs: 0, hotLoop: 'cpu-latency' })).toBe('off')
    expect(hotLoopMode({ hotLoopMs: 2, hotLoop: 'off' })).toBe('off')
    expect(hotLoopMode({ hotLoopMs: 2, hotLoop: 'event-loop' })).toBe('event-loop')
  })
})
