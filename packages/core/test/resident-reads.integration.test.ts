import { execFile } from 'node:child_process'
import { closeSync, constants, openSync, readdirSync, readSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { promisify } from 'node:util'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixture, type FixtureServer } from './fixture-server.js'

// The fixture's /data: 1 MiB in which each 4-byte word holds its own offset; the backend holds it
// for the driver as two ranges of 512 KiB.
const SIZE = 1024 * 1024
const HALF = SIZE / 2
const expected = (position: number, length: number) => {
  const bytes = Buffer.alloc(SIZE)
  for (let i = 0; i < SIZE; i += 4) bytes.writeUInt32LE(i, i)
  return bytes.subarray(position, Math.min(SIZE, position + length))
}

const run = promisify(execFile)
const readWords = join(import.meta.dirname, 'fixtures', 'read-words.mjs')
let server: FixtureServer
let tags = 0

/** The reads that reached the backend so far. */
async function backendReads(): Promise<number> {
  const tag = `t${tags++}`
  await expect(mkdir(join(server.dir, `count-${tag}`))).rejects.toMatchObject({ code: 'EEXIST' })
  return Number((await server.printed(new RegExp(`reads ${tag} (\\d+)`)))[1])
}

/** pread(2) through a descriptor of this process (not the server's): what came back. */
function pread(fd: number, position: number, length = 4096): Buffer {
  const buffer = Buffer.alloc(length)
  return buffer.subarray(0, readSync(fd, buffer, 0, length, position))
}

beforeAll(async () => {
  server = await startFixture('serve-resident.mjs')
})

afterAll(() => server.stop())

describe('ResidentData: random reads answered by the low-level driver from bytes the backend holds', () => {
  it('is available on the low-level driver', async () => {
    await server.printed(/resident data available: true/)
  })

  it('answers random reads (across two held ranges too) without the backend, and sends reads that follow the last one to the backend', async () => {
    const fd = openSync(join(server.dir, 'data'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      const before = await backendReads()
      // Each read far from the one before: none reaches the backend.
      for (const position of [300 * 1024, 900 * 1024, 40 * 1024, HALF - 2048, 700 * 1024]) {
        expect(pread(fd, position).equals(expected(position, 4096))).toBe(true)
      }
      expect(await backendReads()).toBe(before)
      // The reads that follow it are a sequential reader's: the backend's read-ahead must see them.
      expect(pread(fd, 704 * 1024).equals(expected(704 * 1024, 4096))).toBe(true)
      expect(pread(fd, 708 * 1024).equals(expected(708 * 1024, 4096))).toBe(true)
      expect(await backendReads()).toBe(before + 2)
    } finally {
      closeSync(fd)
    }
  })

  it('answers random reads from bytes held in a local file too, and across a file range and a memory range', async () => {
    const fd = openSync(join(server.dir, 'copy'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      const before = await backendReads()
      for (const position of [300 * 1024, 40 * 1024, HALF - 2048, 900 * 1024, 100 * 1024]) {
        expect(pread(fd, position).equals(expected(position, 4096))).toBe(true)
      }
      expect(pread(fd, 400 * 1024, 64 * 1024).equals(expected(400 * 1024, 64 * 1024))).toBe(true)
      expect(await backendReads()).toBe(before)
    } finally {
      closeSync(fd)
    }
  })

  it('ends a read at the end of the file, and answers nothing past it', async () => {
    const fd = openSync(join(server.dir, 'data'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      const before = await backendReads()
      expect(pread(fd, SIZE - 1000).equals(expected(SIZE - 1000, 1000))).toBe(true)
      expect(pread(fd, 100 * 1024).length).toBe(4096)
      expect(pread(fd, SIZE + 512 * 1024).length).toBe(0)
      expect(await backendReads()).toBe(before)
    } finally {
      closeSync(fd)
    }
  })

  it('hands the reading to a thread per CPU once random reads are answered from held bytes: the same answers, from several readers at once, and every other request still reaches the backend', async () => {
    const threads = () => readdirSync(`/proc/${server.pid}/task`).length
    const before = threads()
    const fd = openSync(join(server.dir, 'data'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      const reads = await backendReads()
      // 97 blocks apart: never within 128 KiB of the read before (a sequential reader's).
      const position = (i: number) => ((i * 97) % 256) * 4096
      for (let i = 0; i < 300; i++) expect(pread(fd, position(i)).equals(expected(position(i), 4096))).toBe(true)
      const cpus = availableParallelism()
      expect(threads()).toBe(cpus >= 2 ? before + cpus : before)
      // Counted by a mkdir the backend answers, handed over by a helper and answered on its descriptor.
      expect(await backendReads()).toBe(reads)
      const readers = [1, 2, 3, 4].map((seed) => run(process.execPath, [readWords, join(server.dir, 'data'), '500', String(seed)]))
      expect((await Promise.all(readers)).map((r) => r.stdout.trim())).toEqual(['ok 500', 'ok 500', 'ok 500', 'ok 500'])
      expect(pread(fd, 4096, 64 * 1024).equals(expected(4096, 64 * 1024))).toBe(true)
    } finally {
      closeSync(fd)
    }
  })

  it('sends reads of released bytes to the backend, and forgets a handle at its release', async () => {
    const fd = openSync(join(server.dir, 'data'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      expect(pread(fd, 800 * 1024).equals(expected(800 * 1024, 4096))).toBe(true)
      const before = await backendReads()
      await expect(mkdir(join(server.dir, 'release-r1'))).rejects.toMatchObject({ code: 'EEXIST' })
      await server.printed(/released r1/)
      expect(pread(fd, 100 * 1024).equals(expected(100 * 1024, 4096))).toBe(true)
      expect(pread(fd, 600 * 1024).equals(expected(600 * 1024, 4096))).toBe(true)
      expect(await backendReads()).toBe(before + 1)
    } finally {
      closeSync(fd)
    }
    // A new handle gets its own bytes again; the old handle's went with its release.
    const again = openSync(join(server.dir, 'data'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      const before = await backendReads()
      expect(pread(again, 600 * 1024).equals(expected(600 * 1024, 4096))).toBe(true)
      expect(await backendReads()).toBe(before)
    } finally {
      closeSync(again)
    }
  })

  it('sends every read to the backend once all of a handle\'s bytes are released', async () => {
    const fd = openSync(join(server.dir, 'data'), constants.O_RDONLY | constants.O_DIRECT)
    try {
      await expect(mkdir(join(server.dir, 'releaseall-r2'))).rejects.toMatchObject({ code: 'EEXIST' })
      await server.printed(/released r2/)
      const before = await backendReads()
      for (const position of [100 * 1024, 600 * 1024, 300 * 1024]) expect(pread(fd, position).equals(expected(position, 4096))).toBe(true)
      expect(await backendReads()).toBe(before + 3)
    } finally {
      closeSync(fd)
    }
  })
})
