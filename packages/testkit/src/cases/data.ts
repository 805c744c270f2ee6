import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { chmod, copyFile, mkdtemp, open, readdir, readFile, rm, rmdir, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { assert, assertSameBytes, errnoOf } from './assertions.js'
import { eventually, run, seededRandom, sha256 } from './shell.js'
import type { PosixCase } from './types.js'

const MiB = 1024 * 1024

/** File contents: large round trips, positional writes, appends, truncation, execution, unlinked open files. */
export const dataCases: PosixCase[] = [
  {
    name: 'round-trips a 100 MiB file with the same sha256',
    async run(dir) {
      const scratch = await mkdtemp(join(tmpdir(), 'fusekit-posix-'))
      try {
        const source = join(scratch, 'random.bin')
        await run('dd', ['if=/dev/urandom', `of=${source}`, 'bs=1M', 'count=100', 'status=none'])
        const expected = await sha256(source)

        const viaDd = join(dir, 'dd.bin')
        await run('dd', [`if=${source}`, `of=${viaDd}`, 'bs=1M', 'conv=fsync', 'status=none'])
        assert.equal((await stat(viaDd)).size, 100 * MiB, 'size written by dd')
        assert.equal(await sha256(viaDd), expected, 'sha256 of the file written by dd')

        // Another writer with other request sizes, read back by another reader with odd sizes.
        const viaStream = join(dir, 'stream.bin')
        await pipeline(createReadStream(source, { highWaterMark: 64 * 1024 }), createWriteStream(viaStream))
        assert.equal(await hashByReads(viaStream, MiB + 1), expected, 'sha256 of the streamed file read in odd sizes')
        await run('cmp', [source, viaStream])
        // A new open reads the same bytes again.
        assert.equal(await sha256(viaDd), expected, 'sha256 read again')
      } finally {
        await rm(scratch, { recursive: true, force: true })
      }
      await run('rm', ['-rf', dir])
      assert.equal(await errnoOf(stat(dir)), 'ENOENT', 'stat after rm -rf')
    },
  },
  {
    name: 'keeps writes at random offsets, with holes reading as zeros',
    async run(dir) {
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
          assert.equal(bytesWritten, data.length, `bytes written by write ${i}`)
          if (offset + data.length > model.length) model = Buffer.concat([model, Buffer.alloc(offset + data.length - model.length)])
          data.copy(model, offset)

          const probeAt = random(model.length)
          const probe = Buffer.alloc(Math.min(64 * 1024, model.length - probeAt))
          await file.read(probe, 0, probe.length, probeAt)
          assertSameBytes(probe, model.subarray(probeAt, probeAt + probe.length), `read at ${probeAt} after write ${i}`)
        }
        assert.equal((await file.stat()).size, model.length, 'fstat size')
      } finally {
        await file.close()
      }

      assert.equal((await stat(path)).size, model.length, 'stat size')
      assertSameBytes(await readFile(path), model, 'the whole file read again')
      assert.equal(await sha256(path), createHash('sha256').update(model).digest('hex'), 'sha256 by another reader')

      // A hole far past the end reads as zeros, and st_size counts it.
      const far = await open(path, 'r+')
      try {
        await far.write(Buffer.from('end'), 0, 3, 64 * MiB)
        const hole = Buffer.alloc(MiB, 0xff)
        const { bytesRead } = await far.read(hole, 0, hole.length, 32 * MiB)
        assert.equal(bytesRead, MiB, 'bytes read in the hole')
        assertSameBytes(hole, Buffer.alloc(MiB), 'the hole at 32 MiB')
      } finally {
        await far.close()
      }
      assert.equal((await stat(path)).size, 64 * MiB + 3, 'size after a write at 64 MiB')
      const { stdout } = await run('dd', [`if=${path}`, 'bs=1', `skip=${64 * MiB - 2}`, 'status=none'])
      assert.equal(stdout, '\0\0end', 'the last bytes, read by dd')
    },
  },
  {
    name: 'keeps every record appended from two descriptors',
    async run(dir) {
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
        assert.deepEqual(records.slice(0, written.length), written.map(describeRecord), 'the in-turn records, in order')
        assert.deepEqual(records.slice(written.length).sort(), concurrent.flat().map(describeRecord).sort(), 'the concurrent records, whole')
        assert.equal((await stat(path)).size, Buffer.byteLength(content), 'size')
      } finally {
        await first.close()
        await second.close()
      }
    },
  },
  {
    name: 'truncates a file while it is open, shrinking and growing',
    async run(dir) {
      const path = join(dir, 'file')
      const pattern = Buffer.alloc(MiB)
      for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + 3) % 251
      await writeFile(path, pattern)

      const writer = await open(path, 'r+')
      const reader = await open(path, 'r')
      try {
        await writer.truncate(1000)
        assert.equal((await writer.stat()).size, 1000, 'size after ftruncate to 1000')
        assertSameBytes(await reader.readFile(), pattern.subarray(0, 1000), 'after ftruncate to 1000')

        await writer.truncate(300_000)
        const grown = Buffer.alloc(300_000, 0xff)
        assert.equal((await reader.read(grown, 0, grown.length, 0)).bytesRead, 300_000, 'bytes read after growing')
        assertSameBytes(grown, Buffer.concat([pattern.subarray(0, 1000), Buffer.alloc(299_000)]), 'after ftruncate to 300000')

        // truncate(path) while both descriptors are open.
        await truncate(path, 50)
        assert.equal((await reader.stat()).size, 50, 'size after truncate(path)')
        await writer.write(Buffer.from('Z'), 0, 1, 100)
        assertSameBytes(await readFile(path), Buffer.concat([pattern.subarray(0, 50), Buffer.alloc(50), Buffer.from('Z')]), 'after truncate(path) and a write past the end')

        await run('truncate', ['-s', '2M', path])
        assert.equal((await writer.stat()).size, 2 * MiB, 'size after truncate -s 2M')
        const tail = Buffer.alloc(2 * MiB - 101, 0xff)
        assert.equal((await reader.read(tail, 0, tail.length, 101)).bytesRead, tail.length, 'bytes read of the grown tail')
        assertSameBytes(tail, Buffer.alloc(tail.length), 'grown by truncate -s')

        // Opening with O_TRUNC empties it for the descriptors already open too.
        await (await open(path, 'w')).close()
        assert.equal((await reader.stat()).size, 0, 'size after an open with O_TRUNC')
        assert.equal((await reader.read(Buffer.alloc(10), 0, 10, 0)).bytesRead, 0, 'bytes read after O_TRUNC')
      } finally {
        await writer.close()
        await reader.close()
      }
    },
  },
  {
    name: 'runs a program and a script stored on it',
    needs: ['execute'],
    async run(dir) {
      // The kernel opens a file it executes with a flag of its own (__FMODE_EXEC) and maps it.
      const program = join(dir, 'echo')
      await copyFile('/bin/echo', program)
      await chmod(program, 0o755)
      assert.equal((await run(program, ['from a program'])).stdout, 'from a program\n', 'output of the program')
      const script = join(dir, 'script.sh')
      await writeFile(script, '#!/bin/sh\necho "from a script: $1"\n', { mode: 0o755 })
      assert.equal((await run(script, ['ok'])).stdout, 'from a script: ok\n', 'output of the script')
    },
  },
  {
    name: 'keeps an unlinked file readable and writable until it is closed',
    async run(dir) {
      const path = join(dir, 'doomed')
      await writeFile(path, 'before unlink;')
      const file = await open(path, 'r+')
      try {
        await unlink(path)
        assert.equal(await errnoOf(stat(path)), 'ENOENT', 'stat of the unlinked name')
        assert.ok(!(await readdir(dir)).includes('doomed'), 'the name is not listed')

        const before = Buffer.alloc(14)
        await file.read(before, 0, 14, 0)
        assert.equal(before.toString(), 'before unlink;', 'bytes read after unlink')
        await file.write(Buffer.from('after unlink'), 0, 12, 14)
        assert.equal((await file.stat()).size, 26, 'fstat size after a write')
        const all = Buffer.alloc(26)
        await file.read(all, 0, 26, 0)
        assert.equal(all.toString(), 'before unlink;after unlink', 'bytes read after the write')
      } finally {
        await file.close()
      }
      // The kernel sends RELEASE after close() returns, so the last traces may lag a little.
      await eventually(async () => assert.deepEqual(await readdir(dir), [], 'the directory after close'))
      await rmdir(dir)
      assert.equal(await errnoOf(stat(dir)), 'ENOENT', 'stat of the removed directory')
    },
  },
]

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
