import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { OpenFlags, ROOT_INO, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { me, memoryFs } from './unit-helpers.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Live JS heap and buffers (a large directory's names as READDIR bytes): after full collections, so that only what is still referenced counts. */
function liveHeap(): number {
  for (let i = 0; i < 3; i++) gc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

describe('memory per empty file', () => {
  it('is at most 400 bytes of JS heap and buffers for a file created and closed as through a mount (name, inode, its slot and the lookup the kernel keeps)', () => {
    const fs = memoryFs('1G')
    const count = 50_000
    const before = liveHeap()
    for (let i = 0; i < count; i++) {
      // The name is made here, as the request decoder makes it: it is part of what a file costs.
      const { ino, fh } = fs.create(me, ROOT_INO, `file-${i}`, 0o644, OpenFlags.O_WRONLY)
      fs.release(me, ino, fh)
    }
    const perFile = (liveHeap() - before) / count
    // Still all there (and `fs` alive until after the measure).
    expect(orThrow(fs.lookup(me, ROOT_INO, `file-${count - 1}`)).attr.size).toBe(0)
    expect(perFile).toBeGreaterThan(50)
    expect(perFile).toBeLessThanOrEqual(400)
  })
})
