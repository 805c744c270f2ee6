import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const moduleUrl = new URL('../dist/young-generation.js', import.meta.url).href

/** The young generation's size in MiB after a burst of allocation in a fresh process, capped or not. */
async function newSpaceAfterBurst(cap: boolean): Promise<number> {
  const script = `
    const { capYoungGeneration } = await import(${JSON.stringify(moduleUrl)})
    const v8 = await import('node:v8')
    if (${cap}) capYoungGeneration()
    const kept = []
    for (let i = 0; i < 3_000_000; i++) {
      const o = { i, s: 'x' + i }
      if (i % 10 === 0) kept.push(o)
      // The event loop turns, as in a mount: the check runs after collections.
      if (i % 100_000 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576)`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script])
  return Number(stdout.trim())
}

describe('capYoungGeneration', () => {
  it('holds the young generation at 16 MiB where V8 grows it past that', async () => {
    expect(await newSpaceAfterBurst(false)).toBeGreaterThan(16)
    expect(await newSpaceAfterBurst(true)).toBeLessThanOrEqual(16)
  }, 30_000)
})
