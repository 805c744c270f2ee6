import { constants } from 'node:fs'
import { open, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertErrno, assertMode } from './assertions.js'
import {
  FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_ZERO_RANGE, S_IFREG,
} from './constants.js'
import type { PosixCase } from './types.js'

const KEEP = FALLOC_FL_KEEP_SIZE
const PUNCH = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE

/** Writes `length` bytes of `fill` at `position` (a fresh descriptor, file created if missing). */
async function writeRange(path: string, position: number, length: number, fill: string): Promise<void> {
  const handle = await open(path, constants.O_RDWR | constants.O_CREAT)
  try {
    await handle.write(Buffer.alloc(length, fill), 0, length, position)
  } finally {
    await handle.close()
  }
}

/** Says which bytes differ from `expected(i)`, as [first offset, count], or undefined. */
function firstDifference(actual: Buffer, expected: (offset: number) => number): [number, number] | undefined {
  let first = -1
  let count = 0
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected(i)) {
      if (first < 0) first = i
      count++
    }
  }
  return first < 0 ? undefined : [first, count]
}

/** Asserts the file's bytes: zeros inside the given ranges, `fill` elsewhere, and its length. */
async function assertContent(path: string, size: number, fill: string, zeroRanges: Array<[number, number]>, what: string): Promise<void> {
  const bytes = await readFile(path)
  assert.equal(bytes.length, size, `${what}: bytes read`)
  const code = fill.charCodeAt(0)
  const difference = firstDifference(bytes, (i) => (zeroRanges.some(([from, to]) => i >= from && i < to) ? 0 : code))
  assert.equal(difference, undefined, `${what}: first wrong byte and count of wrong bytes`)
}

export const spaceCases: PosixCase[] = [
  {
    name: 'fallocate reserves whole pages: the default mode extends the size with zeros, KEEP_SIZE leaves it',
    needs: ['fallocate'],
    async run(dir, { fallocate, users, stat, pageSize: P }) {
      const blocksOf = (pages: number) => (pages * P) / 512
      const { root } = users
      const grown = join(dir, 'grown')
      await writeFile(grown, '')
      assertErrno(await fallocate(root, grown, 0, 0, 10_000), 'ok', 'fallocate 0..10000 of an empty file')
      let s = await stat(grown)
      assert.deepEqual([s.size, s.blocks], [10_000, blocksOf(Math.ceil(10_000 / P))], 'size and blocks after fallocate')
      await assertContent(grown, 10_000, '\0', [], 'fallocated bytes')

      const kept = join(dir, 'kept')
      await writeFile(kept, '')
      assertErrno(await fallocate(root, kept, KEEP, 0, 10_000), 'ok', 'fallocate KEEP_SIZE 0..10000 of an empty file')
      s = await stat(kept)
      assert.deepEqual([s.size, s.blocks], [0, blocksOf(Math.ceil(10_000 / P))], 'size and blocks after KEEP_SIZE')
      assert.equal((await readFile(kept)).length, 0, 'nothing to read after KEEP_SIZE')
      await writeRange(kept, 0, 100, 'k')
      s = await stat(kept)
      assert.deepEqual([s.size, s.blocks], [100, blocksOf(Math.ceil(10_000 / P))], 'writing into reserved space allocates nothing more')

      const data = join(dir, 'data')
      await writeFile(data, 'a'.repeat(100))
      assertErrno(await fallocate(root, data, 0, 0, 5000), 'ok', 'fallocate over written bytes and beyond')
      await assertContent(data, 5000, 'a', [[100, 5000]], 'data then zeros')
      assertErrno(await fallocate(root, data, 0, 0, 100), 'ok', 'fallocate inside the size')
      assert.equal((await stat(data)).size, 5000, 'size after fallocate inside it')
      assertErrno(await fallocate(root, data, 0, 2 * P + 10, 1), 'ok', 'fallocate of one byte two pages on')
      s = await stat(data)
      const pages = new Set([...Array.from({ length: Math.ceil(5000 / P) }, (_, i) => i), 2]).size
      assert.deepEqual([s.size, s.blocks], [2 * P + 11, blocksOf(pages)], 'size and blocks after the one-byte fallocate')
      await assertContent(data, 2 * P + 11, 'a', [[100, 2 * P + 11]], 'data then zeros after growing')
    },
  },
  {
    name: 'PUNCH_HOLE|KEEP_SIZE reads back zeros and frees exactly the whole pages inside the range',
    needs: ['fallocate'],
    async run(dir, { fallocate, users, stat, pageSize: P }) {
      const blocksOf = (pages: number) => (pages * P) / 512
      const file = join(dir, 'file')
      const size = 4 * P
      await writeFile(file, Buffer.alloc(size, 'a'))
      assert.equal((await stat(file)).blocks, blocksOf(4), 'blocks of four written pages')
      const zeros: Array<[number, number]> = []
      const punch = async (offset: number, length: number, pages: number, what: string) => {
        assertErrno(await fallocate(users.root, file, PUNCH, offset, length), 'ok', what)
        zeros.push([offset, offset + length])
        const s = await stat(file)
        assert.deepEqual([s.size, s.blocks], [size, blocksOf(pages)], `${what}: size and blocks`)
        await assertContent(file, size, 'a', zeros, what)
      }
      // Straddles page 1 whole and parts of pages 0 and 2: only page 1 is freed.
      await punch(1000, 2 * P, 3, 'punch 1000..2P+1000')
      await punch(100, 200, 3, 'punch inside page 0 (zeroed, not freed)')
      // Past the end: the size stays, page 3 is freed, page 2 is zeroed from 2.5P.
      await punch(2 * P + P / 2, 100 * P, 2, 'punch from 2.5P past EOF')
      await punch(0, size, 0, 'punch of the whole file')
    },
  },
  {
    name: 'fallocate refuses COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE, unknown modes and bad ranges, leaving the file alone',
    needs: ['fallocate'],
    async run(dir, { fallocate, users, stat, pageSize: P }) {
      const file = join(dir, 'file')
      await writeFile(file, Buffer.alloc(4 * P, 'a'))
      const before = await stat(file)
      const attempts: Array<[string, number, number, number, string]> = [
        ['COLLAPSE_RANGE', FALLOC_FL_COLLAPSE_RANGE, 0, P, 'ENOTSUP'],
        ['INSERT_RANGE', FALLOC_FL_INSERT_RANGE, 0, P, 'ENOTSUP'],
        ['UNSHARE_RANGE', FALLOC_FL_UNSHARE_RANGE, 0, P, 'ENOTSUP'],
        ['PUNCH_HOLE without KEEP_SIZE', FALLOC_FL_PUNCH_HOLE, 0, P, 'ENOTSUP'],
        ['PUNCH_HOLE|ZERO_RANGE', FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | KEEP, 0, P, 'ENOTSUP'],
        ['an unknown mode bit', 0x1000, 0, P, 'ENOTSUP'],
        ['length 0', 0, 0, 0, 'EINVAL'],
        ['a negative offset', 0, -1, P, 'EINVAL'],
        ['a negative length', 0, 0, -1, 'EINVAL'],
        ['offset + length past the largest file', 0, 2 ** 62, 2 ** 62, 'EFBIG'],
      ]
      for (const [what, mode, offset, length, expected] of attempts) {
        assertErrno(await fallocate(users.root, file, mode, offset, length), expected, `fallocate with ${what}`)
      }
      const after = await stat(file)
      assert.deepEqual([after.size, after.blocks, after.mtimeNs], [before.size, before.blocks, before.mtimeNs], 'size, blocks and mtime after the refusals')
      await assertContent(file, 4 * P, 'a', [], 'bytes after the refusals')
    },
  },
  {
    name: 'without zeroRange, FALLOC_FL_ZERO_RANGE fails with EOPNOTSUPP and leaves the file alone',
    needs: ['fallocate'],
    unless: ['zeroRange'],
    async run(dir, { fallocate, users, stat, pageSize: P }) {
      const file = join(dir, 'file')
      await writeFile(file, Buffer.alloc(2 * P, 'a'))
      const before = await stat(file)
      assertErrno(await fallocate(users.root, file, FALLOC_FL_ZERO_RANGE, 100, 200), 'ENOTSUP', 'ZERO_RANGE inside the file')
      assertErrno(await fallocate(users.root, file, FALLOC_FL_ZERO_RANGE | KEEP, 100, 200), 'ENOTSUP', 'ZERO_RANGE|KEEP_SIZE inside the file')
      assertErrno(await fallocate(users.root, file, FALLOC_FL_ZERO_RANGE, 2 * P, P), 'ENOTSUP', 'ZERO_RANGE past EOF')
      const after = await stat(file)
      assert.deepEqual([after.size, after.blocks], [before.size, before.blocks], 'size and blocks')
      await assertContent(file, 2 * P, 'a', [], 'bytes')
    },
  },
  {
    name: 'FALLOC_FL_ZERO_RANGE reads back zeros; the size grows only without KEEP_SIZE',
    needs: ['fallocate', 'zeroRange'],
    async run(dir, { fallocate, users, stat, pageSize: P }) {
      const file = join(dir, 'file')
      await writeFile(file, Buffer.alloc(4 * P, 'a'))
      const zeros: Array<[number, number]> = []
      const zero = async (mode: number, offset: number, length: number, size: number, what: string) => {
        assertErrno(await fallocate(users.root, file, FALLOC_FL_ZERO_RANGE | mode, offset, length), 'ok', what)
        zeros.push([offset, offset + length])
        assert.equal((await stat(file)).size, size, `${what}: size`)
        await assertContent(file, size, 'a', zeros, what)
      }
      await zero(0, 100, 200, 4 * P, 'zero 100..300')
      await zero(0, P, 2 * P, 4 * P, 'zero pages 1 and 2')
      await zero(KEEP, 3 * P + 10, 2 * P, 4 * P, 'zero|KEEP_SIZE past EOF')
      await zero(0, 4 * P, P + 7, 5 * P + 7, 'zero past EOF without KEEP_SIZE')
      assert.ok((await stat(file)).blocks >= ((5 * P) / 512), 'the zeroed range is allocated')
    },
  },
  {
    name: 'fallocate by a writer other than root clears S_ISUID and group-executable S_ISGID like a write',
    needs: ['fallocate', 'otherUsers'],
    async run(dir, { fallocate, users, groups, make, lstat }) {
      const file = join(dir, 'file')
      await make(file, { content: 'data', uid: users.alice.uid, gid: groups.shared, mode: 0o6775 })
      assertErrno(await fallocate(users.carol, file, 0, 0, 8192), 'ok', 'carol fallocates through group write permission')
      assertMode(await lstat(file), S_IFREG | 0o775, 'mode after her fallocate')
    },
  },
  {
    name: 'SEEK_DATA and SEEK_HOLE find the data and holes of a sparse file, page by page, with ENXIO at and past EOF',
    needs: ['seekHoles'],
    async run(dir, { seek, users, pageSize: P }) {
      const M = 1024 * 1024
      const sparse = join(dir, 'sparse')
      await writeRange(sparse, 0, P, 'x')
      await writeRange(sparse, M, P, 'y')
      await truncate(sparse, 2 * M)
      const expectations: Array<['data' | 'hole', number, number | string]> = [
        ['data', 0, 0], ['data', 100, 100], ['data', 2 * P, M], ['data', P, M],
        ['hole', 0, P], ['hole', 100, P], ['hole', P, P], ['hole', M, M + P], ['hole', M + 100, M + P],
        ['data', M + P, 'ENXIO'], ['hole', 2 * M - 1, 2 * M - 1],
        ['data', 2 * M, 'ENXIO'], ['hole', 2 * M, 'ENXIO'], ['data', 3 * M, 'ENXIO'], ['hole', 3 * M, 'ENXIO'],
      ]
      const seekAll = async (path: string, list: typeof expectations, what: string) => {
        const answers = await Promise.all(list.map(([whence, offset]) => seek(users.root, path, whence, offset)))
        assert.deepEqual(answers.map((answer, i) => `${list[i]![0]} ${list[i]![1]} -> ${answer}`), list.map(([w, o, e]) => `${w} ${o} -> ${e}`), what)
      }
      await seekAll(sparse, expectations, 'sparse file: data at [0, P) and [1M, 1M+P), size 2M')

      // Writing into a hole splits it at once.
      await writeRange(sparse, 3 * P + 5, 1, 'z')
      await seekAll(sparse, [['data', P, 3 * P], ['hole', 3 * P, 4 * P], ['data', 4 * P, M]], 'after writing one byte at 3P+5')

      const full = join(dir, 'full')
      await writeFile(full, Buffer.alloc(5000, 'f'))
      await seekAll(full, [['hole', 0, 5000], ['hole', 4999, 5000], ['data', 4999, 4999], ['data', 5000, 'ENXIO']], 'file of 5000 written bytes: the only hole is at EOF')
      const small = join(dir, 'small')
      await writeRange(small, 100, 10, 's')
      // Page granularity: the page holding bytes 100..110 is data from its start.
      await seekAll(small, [['data', 0, 0], ['hole', 0, 110]], '10 bytes written at 100')
      const empty = join(dir, 'empty')
      await writeFile(empty, '')
      await seekAll(empty, [['data', 0, 'ENXIO'], ['hole', 0, 'ENXIO']], 'empty file')
    },
  },
  {
    name: 'SEEK_DATA and SEEK_HOLE see punched holes and reserved but unwritten space as holes',
    needs: ['seekHoles', 'fallocate'],
    async run(dir, { seek, fallocate, users, pageSize: P }) {
      const { root } = users
      const reserved = join(dir, 'reserved')
      await writeFile(reserved, '')
      assertErrno(await fallocate(root, reserved, KEEP, 0, 2 * P), 'ok', 'reserve two pages')
      await truncate(reserved, 2 * P)
      assert.deepEqual([await seek(root, reserved, 'data', 0), await seek(root, reserved, 'hole', 0)], ['ENXIO', 0], 'reserved, unwritten pages: data from 0, hole from 0')
      await writeRange(reserved, P + 10, 1, 'r')
      assert.deepEqual([await seek(root, reserved, 'data', 0), await seek(root, reserved, 'hole', P)], [P, 2 * P], 'after writing a byte into page 1')

      const punched = join(dir, 'punched')
      await writeFile(punched, Buffer.alloc(4 * P, 'p'))
      assertErrno(await fallocate(root, punched, PUNCH, P, P), 'ok', 'punch page 1')
      const answers = [await seek(root, punched, 'data', 0), await seek(root, punched, 'hole', 0), await seek(root, punched, 'data', P), await seek(root, punched, 'hole', 2 * P)]
      assert.deepEqual(answers, [0, P, 2 * P, 4 * P], 'data 0, hole 0, data P, hole 2P of a file with page 1 punched')
    },
  },
]
