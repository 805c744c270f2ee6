import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { chmod, copyFile, mkdtemp, open, readdir, readFile, rm, rmdir, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { expect, it } from 'vitest'
import type { PosixSuiteContext } from './posix-suite.js'
import { eventually, expectErrno, expectSameBytes, run, seededRandom, sha256 } from './posix-suite-tools.js'

const MiB = 1024 * 1024

/** File contents: large round trips, positional writes, appends, truncation, unlinked open files. */
export function registerDataCases(suite: PosixSuiteContext): void {
  it('round-trips a 100 MiB file with the same sha256', async () => {
    const dir = await suite.caseDir('round trip')
    const scratch = await mkdtemp(join(tmpdir(), 'fusekit-posix-'))
    try {
      const source = join(scratch, 'random.bin')
      await run('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', 'count=100', 'status=none'])
      const expected = await sha256(source)

      const viaDd = join(dir, 'dd.bin')
      await run('dd', [`if=${source}`, `of=${viaDd}`, 'bs=1M', 'conv=fsync', 'status=none'])
      expect((await stat(viaDd)).size).toBe(100 * MiB)
      expect(await sha256(viaDd)).toBe(expected)

      // Another writer with other request sizes, read back by another reader with odd sizes.
      const viaStream = join(dir, 'stream.bin')
      await pipeline(createReadStream(source, { highWaterMark: 64 * 1024 }), createWriteStream(viaStream))
      expect(await hashByReads(viaStream, MiB + 1)).toBe(expected)
      await run('cmp', [source, viaStream])
      // A new open reads the same bytes again.
      expect(await sha256(viaDd)).toBe(expected)
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
    await run('rm', ['-rf', dir])
    await expectErrno(stat(dir), 'ENOENT')
  })

  it('keeps writes at random offsets, with holes reading as zeros', async () => {
    const dir = await suite.caseDir('random offsets')
    const path = join(dir, 'sparse.bin')
    const random = seededRandom(20_240_601)
    let model = Buffer.alloc(0)
    const file = await open(path, 'w+')
    try {
      for (let i = 0; i < 300; i++) {
        // Offsets up to 512 KiB past the end leave holes; lengths cross the 128 KiB request size.
        const offset = random(model.length + 512 * 1024)
        const data = Buffer.alloc(1 + random(256 * 1024), 1 + random(255))
        const { bytesWritten } = await file.write(data, 0, data.length, offset)
        expect(bytesWritten).toBe(data.length)
        if (offset + data.length > model.length) model = Buffer.concat([model, Buffer.alloc(offset + data.length - model.length)])
        data.copy(model, offset)

        const probeAt = random(model.length)
        const probe = Buffer.alloc(Math.min(64 * 1024, model.length - probeAt))
        await file.read(probe, 0, probe.length, probeAt)
        expectSameBytes(probe, model.subarray(probeAt, probeAt + probe.length), `read at ${probeAt} after write ${i}`)
      }
      expect((await file.stat()).size).toBe(model.length)
    } finally {
      await file.close()
    }

    expect((await stat(path)).size).toBe(model.length)
    expectSameBytes(await readFile(path), model, 'the whole file read again')
    expect(await sha256(path)).toBe(createHash('sha256').update(model).digest('hex'))

    // A hole far past the end reads as zeros, and st_size counts it.
    const far = await open(path, 'r+')
    try {
      await far.write(Buffer.from('end'), 0, 3, 64 * MiB)
      const hole = Buffer.alloc(MiB, 0xff)
      const { bytesRead } = await far.read(hole, 0, hole.length, 32 * MiB)
      expect(bytesRead).toBe(MiB)
      expectSameBytes(hole, Buffer.alloc(MiB), 'the hole at 32 MiB')
    } finally {
      await far.close()
    }
    expect((await stat(path)).size).toBe(64 * MiB + 3)
    const { stdout } = await run('dd', [`if=${path}`, 'bs=1', `skip=${64 * MiB - 2}`, 'status=none'])
    expect(stdout).toBe('\0\0end')
  })

  it('keeps every record appended from two descriptors', async () => {
    const dir = await suite.caseDir('append')
    const path = join(dir, 'log')
    const random = seededRandom(7)
    const record = (tag: string, n: number) => `${tag}:${n}:${'x'.repeat(random(200 * 1024))}\n`
    const first = await open(path, 'a')
    const second = await open(path, 'a')
    const written: string[] = []
    try {
      // Interleaved in turn: the file holds them in exactly this order.
      for (let n = 0; n < 50; n++) {
        for (const [tag, file] of [['A', first], ['B', second]] as const) {
          const line = record(tag, n)
          await file.write(line)
          written.push(line)
        }
      }
      // Then both at once: all arrive whole, in some order.
      const concurrent = Array.from({ length: 50 }, (_, n) => [record('C', n), record('D', n)] as const)
      await Promise.all(concurrent.flatMap(([c, d]) => [first.write(c), second.write(d)]))
      const content = await readFile(path, 'utf8')
      const records = content.split(/(?<=\n)/).map(describeRecord)
      expect(records.slice(0, written.length), 'the in-turn records, in order').toEqual(written.map(describeRecord))
      expect(records.slice(written.length).sort()).toEqual(concurrent.flat().map(describeRecord).sort())
      expect((await stat(path)).size).toBe(Buffer.byteLength(content))
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('truncates a file while it is open, shrinking and growing', async () => {
    const dir = await suite.caseDir('truncate open')
    const path = join(dir, 'file')
    const pattern = Buffer.alloc(MiB)
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + 3) % 251
    await writeFile(path, pattern)

    const writer = await open(path, 'r+')
    const reader = await open(path, 'r')
    try {
      await writer.truncate(1000)
      expect((await writer.stat()).size).toBe(1000)
      expectSameBytes(await reader.readFile(), pattern.subarray(0, 1000), 'after ftruncate to 1000')

      await writer.truncate(300_000)
      const grown = Buffer.alloc(300_000, 0xff)
      expect((await reader.read(grown, 0, grown.length, 0)).bytesRead).toBe(300_000)
      expectSameBytes(grown, Buffer.concat([pattern.subarray(0, 1000), Buffer.alloc(299_000)]), 'after ftruncate to 300000')

      // truncate(path) while both descriptors are open.
      await truncate(path, 50)
      expect((await reader.stat()).size).toBe(50)
      await writer.write(Buffer.from('Z'), 0, 1, 100)
      expectSameBytes(await readFile(path), Buffer.concat([pattern.subarray(0, 50), Buffer.alloc(50), Buffer.from('Z')]), 'after truncate(path) and a write past the end')

      await run('truncate', ['-s', '2M', path])
      expect((await writer.stat()).size).toBe(2 * MiB)
      const tail = Buffer.alloc(2 * MiB - 101, 0xff)
      expect((await reader.read(tail, 0, tail.length, 101)).bytesRead).toBe(tail.length)
      expectSameBytes(tail, Buffer.alloc(tail.length), 'grown by truncate -s')

      // Opening with O_TRUNC empties it for the descriptors already open too.
      await (await open(path, 'w')).close()
      expect((await reader.stat()).size).toBe(0)
      expect((await reader.read(Buffer.alloc(10), 0, 10, 0)).bytesRead).toBe(0)
    } finally {
      await writer.close()
      await reader.close()
    }
  })

  it('runs a program and a script stored on it', async () => {
    const dir = await suite.caseDir('exec')
    // The kernel opens a file it executes with a flag of its own (__FMODE_EXEC) and maps it.
    const program = join(dir, 'echo')
    await copyFile('/bin/echo', program)
    await chmod(program, 0o755)
    expect((await run(program, ['from a program'])).stdout).toBe('from a program\n')
    const script = join(dir, 'script.sh')
    await writeFile(script, '#!/bin/sh\necho "from a script: $1"\n', { mode: 0o755 })
    expect((await run(script, ['ok'])).stdout).toBe('from a script: ok\n')
  })

  it('keeps an unlinked file readable and writable until it is closed', async () => {
    const dir = await suite.caseDir('unlink open')
    const path = join(dir, 'doomed')
    await writeFile(path, 'before unlink;')
    const file = await open(path, 'r+')
    try {
      await unlink(path)
      await expectErrno(stat(path), 'ENOENT')
      expect(await readdir(dir)).not.toContain('doomed')

      const before = Buffer.alloc(14)
      await file.read(before, 0, 14, 0)
      expect(before.toString()).toBe('before unlink;')
      await file.write(Buffer.from('after unlink'), 0, 12, 14)
      expect((await file.stat()).size).toBe(26)
      const all = Buffer.alloc(26)
      await file.read(all, 0, 26, 0)
      expect(all.toString()).toBe('before unlink;after unlink')
    } finally {
      await file.close()
    }
    // The kernel sends RELEASE after close() returns, so the last traces may lag a little.
    await eventually(async () => expect(await readdir(dir)).toEqual([]))
    await rmdir(dir)
    await expectErrno(stat(dir), 'ENOENT')
  })
}

/** A record as a short, comparable text: which one it is and whether it arrived whole. */
function describeRecord(record: string): string {
  const whole = /^([A-D]:\d+):x*\n$/.exec(record)
  return whole ? `${whole[1]} (${record.length} bytes)` : `garbled: ${JSON.stringify(record.slice(0, 40))}`
}

async function hashByReads(path: string, chunkSize: number): Promise<string> {
  const hash = createHash('sha256')
  const file = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(chunkSize)
    for (let position = 0; ; ) {
      const { bytesRead } = await file.read(buffer, 0, chunkSize, position)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      position += bytesRead
    }
  } finally {
    await file.close()
  }
  return hash.digest('hex')
}
