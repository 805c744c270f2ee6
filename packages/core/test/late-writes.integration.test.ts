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

/**
 * Copies `writers` files of `bytes` random bytes into the mount at once with dd (`bs` a write),
 * checks that each arrived intact, and returns the most writes the backend had waiting at once.
 */
async function writeAtOnce(tag: string, writers: number, bytes: number, bs: string): Promise<number> {
  const names = Array.from({ length: writers }, (_, i) => `${tag}-${i}`)
  const contents = names.map(() => randomBytes(bytes))
  await Promise.all(names.map((name, i) => writeFile(join(sources, name), contents[i]!)))
  await Promise.all(names.map((name) => run('dd', [`if=${join(sources, name)}`, `of=${join(server.dir, name)}`, `bs=${bs}`, 'status=none'])))
  for (const [i, name] of names.entries()) expect((await readFile(join(server.dir, name))).equals(contents[i]!), name).toBe(true)
  await expect(mkdir(join(server.dir, `stats-${tag}`))).rejects.toMatchObject({ code: 'EEXIST' })
  const [, most] = await server.printed(new RegExp(`stats-${tag}: most writes waiting at once: (\\d+)`))
  return Number(most)
}

describe('writes answered later (low-level driver)', () => {
  it('reach the backend intact while other writes arrive before it answers', async () => {
    // Three writers at once, 1 MiB per write: requests arrive while earlier ones wait in the backend.
    expect(await writeAtOnce('large', 3, 8 << 20, '1M')).toBeGreaterThanOrEqual(2)
  })

  it('reach the backend intact when small, from more writers at once than the driver keeps spare buffers', async () => {
    // 4 KiB per write, each one lent; more waiting at once than the 8 spare request buffers:
    // fresh ones were made while these were lent.
    expect(await writeAtOnce('small', 12, 128 << 10, '4k')).toBeGreaterThan(8)
  })
})
