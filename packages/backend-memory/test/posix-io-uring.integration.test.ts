import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { allCapabilities, describeCases, useMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryBackend } from '../src/index.js'

const run = promisify(execFile)

/** A caller writing and reading back 40 files of 1 to 300 KB, each one checked. */
const WRITER = `
const fs = require('node:fs'), crypto = require('node:crypto')
const [dir, id] = process.argv.slice(1)
for (let i = 0; i < 40; i++) {
  const file = dir + '/w' + id + '-' + i, data = crypto.randomBytes(1000 + ((i * 7919) % 300000))
  fs.writeFileSync(file, data)
  if (!fs.readFileSync(file).equals(data)) throw new Error(file + ' reads back different')
  fs.unlinkSync(file)
}`

// fuse.ko's machine-wide switch, off by default: on for this file only, then put back as it was.
const URING_SWITCH = '/sys/module/fuse/parameters/enable_uring'

/** The completion queue head of the process's io_uring (one completion per request it took), or undefined without one. */
function ringCompletions(pid: number): number | undefined {
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:[io_uring]') continue
    const head = /^CqHead:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))
    return Number(head?.[1])
  }
  return undefined
}

// The whole POSIX case table with requests and replies over io_uring (--io-uring).
describe('memory (lowlevel driver, FUSE over io_uring)', () => {
  let previous: string | undefined
  beforeAll(() => {
    previous = readFileSync(URING_SWITCH, 'utf8').trim()
    writeFileSync(URING_SWITCH, 'Y')
  })
  afterAll(() => {
    if (previous !== undefined) writeFileSync(URING_SWITCH, previous)
  })

  const mount = useMount({ backend: memoryBackend.name, args: () => ['--driver=lowlevel', '--io-uring', '--allow-other'] })
  describeCases('POSIX cases', () => mount().dir, allCapabilities, { unsupported: 'omit' })

  it('carries more requests at once than the ring has entries: 32 callers, each file intact', async () => {
    const dir = join(mount().dir, 'concurrent-writers')
    mkdirSync(dir)
    await Promise.all(Array.from({ length: 32 }, (_, id) => run(process.execPath, ['-e', WRITER, dir, String(id)])))
    expect(readdirSync(dir)).toEqual([])
    rmdirSync(dir)
  })

  it('took those requests from the ring, not from /dev/fuse', () => {
    expect(mount().output()).toContain('fusekit info: requests arrive over io_uring')
    expect(mount().output()).not.toContain('fusekit warn: --io-uring')
    // Every case makes dozens of requests: thousands of completions, not the handful of a fallback.
    expect(ringCompletions(mount().pid)).toBeGreaterThan(1000)
  })
})
