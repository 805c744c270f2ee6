import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The low-level driver reads every request into one buffer; a large write is lent to the backend
// without a copy. A backend that takes the data in after answering later must still get the
// bytes that were written, while other requests arrive meanwhile.
const run = promisify(execFile)
const fixture = join(import.meta.dirname, 'fixtures/serve-late-writer.mjs')

let dir: string
let sources: string
let server: ChildProcess
let output = ''

function printed(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs)
    const check = () => {
      const match = output.match(pattern)
      if (!match) return
      clearTimeout(timer)
      server.stderr!.off('data', check)
      resolve(match)
    }
    server.stderr!.on('data', check)
    check()
  })
}

beforeAll(async () => {
  if (!existsSync('/dev/fuse')) throw new Error('FUSE is not available here: /dev/fuse is missing (install it with apt-get install -y libfuse2 fuse)')
  dir = await mkdtemp(join(tmpdir(), 'fusekit-late-writes-'))
  sources = await mkdtemp(join(tmpdir(), 'fusekit-late-sources-'))
  server = spawn(process.execPath, [fixture, dir], { stdio: ['ignore', 'ignore', 'pipe'] })
  server.stderr!.on('data', (data: Buffer) => (output += data.toString()))
  await printed(new RegExp(`ready ${dir}`))
})

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  await rmdir(dir)
  await rm(sources, { recursive: true, force: true })
})

describe('large writes answered later (low-level driver)', () => {
  it('reach the backend intact while other writes arrive before it answers', async () => {
    const names = ['a', 'b', 'c']
    const contents = names.map(() => randomBytes(8 << 20))
    await Promise.all(names.map((name, i) => writeFile(join(sources, name), contents[i]!)))
    // Three writers at once, 1 MiB per write: requests arrive while earlier ones wait in the backend.
    await Promise.all(names.map((name) => run('dd', [`if=${join(sources, name)}`, `of=${join(dir, name)}`, 'bs=1M', 'status=none'])))
    for (const [i, name] of names.entries()) expect((await readFile(join(dir, name))).equals(contents[i]!), name).toBe(true)
    await expect(mkdir(join(dir, 'stats'))).rejects.toMatchObject({ code: 'EEXIST' })
    const [, most] = await printed(/most writes waiting at once: (\d+)/)
    expect(Number(most)).toBeGreaterThanOrEqual(2)
  })
})
