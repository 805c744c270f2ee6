import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rmdir, stat, writeFile, chmod, open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const fixture = join(import.meta.dirname, 'fixtures/serve-probe.mjs')

let dir: string
let child: ChildProcess
let output = ''

beforeAll(async () => {
  if (!existsSync('/dev/fuse')) throw new Error('FUSE is not available here: /dev/fuse is missing (install it with apt-get install -y libfuse2 fuse)')
  dir = await mkdtemp(join(tmpdir(), 'fusekit-wiring-'))
  child = spawn(process.execPath, [fixture, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString()
      if (output.includes(`ready ${dir}`)) resolve()
    }
    child.stderr!.on('data', onData)
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`probe mount exited with ${code}:\n${output}`)))
  })
})

afterAll(async () => {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
  const mounts = await readFile('/proc/self/mounts', 'utf8')
  await rmdir(dir)
  expect(mounts).not.toContain(dir)
})

describe('fuse-native wiring', () => {
  it('delivers distinct atime and mtime to utimens (fuse-native passes atime twice)', async () => {
    const file = join(dir, 'file')
    await run('python3', ['-c', 'import os,sys; os.utime(sys.argv[1], ns=(1_600_000_000_123_000_000, 1_700_000_000_456_000_000))', file])
    const st = await stat(file)
    expect(st.atimeMs).toBe(1_600_000_000_123)
    expect(st.mtimeMs).toBe(1_700_000_000_456)
  })

  it('sets one time and leaves the other as it was (UTIME_OMIT), and "now" for both with touch', async () => {
    const file = join(dir, 'file')
    await run('touch', ['-m', '-d', '@1000000000', file])
    await run('touch', ['-a', '-d', '@1200000000', file])
    const st = await stat(file)
    expect([st.atimeMs, st.mtimeMs]).toEqual([1_200_000_000_000, 1_000_000_000_000])
    const before = Date.now()
    await run('touch', [file])
    const touched = await stat(file)
    expect(touched.atimeMs).toBe(touched.mtimeMs)
    expect(touched.mtimeMs).toBeGreaterThanOrEqual(before - 5)
  })

  it('shows the folded 64-bit inode number under use_ino', async () => {
    expect((await stat(join(dir, 'file'))).ino).toBe(8)
  })

  it('answers getxattr size queries exactly and ERANGE for a short buffer', async () => {
    const script = [
      'import ctypes, os, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'p, n = sys.argv[1].encode(), b"user.big"',
      'size = libc.getxattr(p, n, None, 0)',
      'buf = ctypes.create_string_buffer(4)',
      'short = libc.getxattr(p, n, buf, 4)',
      'err = ctypes.get_errno()',
      'lsize = libc.listxattr(p, None, 0)',
      'print(size, short, err, lsize)',
    ].join('\n')
    const { stdout } = await run('python3', ['-c', script, join(dir, 'file')])
    expect(stdout.trim()).toBe(`10 -1 ${34} ${'user.big\0user.other\0'.length}`)
    const { stdout: value } = await run('getfattr', ['--only-values', '-n', 'user.big', join(dir, 'file')])
    expect(value).toBe('0123456789')
  })

  it('turns a backend exception into EIO and keeps serving', async () => {
    await expect(chmod(join(dir, 'file'), 0o600)).rejects.toMatchObject({ code: 'EIO' })
    expect(await readFile(join(dir, 'file'), 'utf8')).toMatch(/^probe/)
    expect(output).toMatch(/chmod\(uid 0 pid 0, "\/file", \d+\) failed unexpectedly \(answered EIO\): Error: backend bug/)
  })

  it('passes the open file handle to read and to getattr', async () => {
    const handle = await open(join(dir, 'file'), 'r+')
    try {
      expect((await handle.read(Buffer.alloc(5), 0, 5, 0)).bytesRead).toBe(5)
      // libfuse answers a truncate through a descriptor with getattr on its handle.
      await handle.truncate(6)
    } finally {
      await handle.close()
    }
  })

  it('receives large writes in 128 KiB pieces (big_writes)', async () => {
    await writeFile(join(dir, 'file'), Buffer.alloc(1 << 20, 1))
    await run('mkdir', [join(dir, 'calls')]).catch(() => {})
    const calls = JSON.parse(/calls: (.*)/.exec(output)![1]!) as string[]
    expect(calls).toContain('write 131072')
    expect(calls.some((c) => /^getattr \/file 7$/.test(c))).toBe(true)
  })

  it('lists directory entries', async () => {
    expect(await readdir(dir)).toEqual(['file'])
  })
})
