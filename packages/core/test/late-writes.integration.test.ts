import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixture, type FixtureServer } from './fixture-server.js'

// The low-level driver reads every request into one buffer; a write's bytes are lent to the
// backend without a copy. A backend that takes the data in after answering later must still get
// the bytes that were written, while other requests arrive meanwhile.
const run = promisify(execFile)

let server: FixtureServer
let sources: string

beforeAll(async () => {
  sources = await mkdtemp(join(tmpdir(), 'fusekit-late-sources-'))
  server = await startFixture('serve-late-writer.mjs')
})

afterAll(async () => {
  await server.stop()
  await rm(sources, { recursive: true, force: true })
})

describe('writes answered later (low-level driver)', () => {
  it('reach the backend intact while other writes arrive before it answers', async () => {
    const names = ['a', 'b', 'c']
    const contents = names.map(() => randomBytes(8 << 20))
    await Promise.all(names.map((name, i) => writeFile(join(sources, name), contents[i]!)))
    // Three writers at once, 1 MiB per write: requests arrive while earlier ones wait in the backend.
    await Promise.all(names.map((name) => run('dd', [`if=${join(sources, name)}`, `of=${join(server.dir, name)}`, 'bs=1M', 'status=none'])))
    for (const [i, name] of names.entries()) expect((await readFile(join(server.dir, name))).equals(contents[i]!), name).toBe(true)
    await expect(mkdir(join(server.dir, 'stats-large'))).rejects.toMatchObject({ code: 'EEXIST' })
    const [, most] = await server.printed(/stats-large: most writes waiting at once: (\d+)/)
    expect(Number(most)).toBeGreaterThanOrEqual(2)
  })

  it('reach the backend intact when small, from more writers at once than the driver keeps spare buffers', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `small-${i}`)
    const contents = names.map(() => randomBytes(128 << 10))
    await Promise.all(names.map((name, i) => writeFile(join(sources, name), contents[i]!)))
    // 4 KiB per write: each one is lent, and a writer's next write waits for the one before.
    await Promise.all(names.map((name) => run('dd', [`if=${join(sources, name)}`, `of=${join(server.dir, name)}`, 'bs=4k', 'status=none'])))
    for (const [i, name] of names.entries()) expect((await readFile(join(server.dir, name))).equals(contents[i]!), name).toBe(true)
    await expect(mkdir(join(server.dir, 'stats-small'))).rejects.toMatchObject({ code: 'EEXIST' })
    const [, most] = await server.printed(/stats-small: most writes waiting at once: (\d+)/)
    // More than the 8 spare request buffers: fresh ones were made while these were lent.
    expect(Number(most)).toBeGreaterThan(8)
  })
})
