import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { backendMountOptions, CallerContext, parseBackendOptions, type MountOptions } from '@fusekit/core'
import { noDirectoryRemovals, noResidentData, silentLogger, type SuiteMountSetup } from '@fusekit/testkit'

export { expectFsError } from '@fusekit/testkit'
import { afterEach } from 'vitest'
import { passthroughBackend } from '../src/index.js'
import type { PassthroughInodes } from '../src/passthrough.js'

/** A request from root (the mounting user of these tests). */
export const asRoot = new CallerContext(0, 0, process.pid)

/** A scratch area per test: `source` (mirrored), `outside` (must never change), `mountpoint`. */
export interface Sandbox {
  base: string
  source: string
  outside: string
  /** A file outside the source that escape attempts aim at. */
  target: string
  mountpoint: string
}


const sandboxes: string[] = []
const opened: PassthroughInodes[] = []
afterEach(async () => {
  for (const ops of opened.splice(0)) await ops.destroy()
  for (const base of sandboxes.splice(0)) rmSync(base, { recursive: true, force: true })
})

export function sandbox(): Sandbox {
  const base = mkdtempSync(join(tmpdir(), 'fusekit-passthrough-unit-'))
  sandboxes.push(base)
  const source = join(base, 'source')
  const outside = join(base, 'outside')
  const mountpoint = join(base, 'mnt')
  for (const dir of [source, outside, mountpoint]) mkdirSync(dir)
  const target = join(outside, 'target')
  writeFileSync(target, 'outside data\n', { mode: 0o644 })
  return { base, source, outside, target, mountpoint }
}

/** The backend's operations over `box.source`, made the way a mount with `mountOptions` makes them. */
export async function passthrough(box: Sandbox, options: Record<string, unknown> = {}, mountOptions: Partial<MountOptions> = {}): Promise<PassthroughInodes> {
  const ops = (await passthroughBackend.create({
    options: parseBackendOptions(passthroughBackend, { source: box.source, ...options }),
    mountpoint: box.mountpoint,
    mountOptions: backendMountOptions(passthroughBackend, mountOptions),
    logger: silentLogger,
    container: undefined as never, // the backend does not use it
    residentData: noResidentData, // nor these (no driver)
    directoryRemovals: noDirectoryRemovals,
  })) as PassthroughInodes
  opened.push(ops)
  return ops
}

/** The extended attribute names of `path` itself (a symlink as the link), read with getfattr. */
export function xattrNames(path: string): string[] {
  const out = execFileSync('getfattr', ['--absolute-names', '--no-dereference', '-m', '-', path], { encoding: 'utf8' })
  return out.split('\n').filter((line) => line !== '' && !line.startsWith('# file:'))
}

/**
 * useMount's setup for a passthrough mount over a fresh source directory, removed after the
 * mount stopped; `source()` names that directory once the mount is up.
 */
export function sourceMountSetup(args: readonly string[]): SuiteMountSetup & { source: () => string } {
  let source: string | undefined
  return {
    backend: 'passthrough',
    args: async () => {
      source = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-source-'))
      return ['--source', source, ...args]
    },
    teardown: async () => {
      if (source) await rm(source, { recursive: true, force: true })
    },
    source: () => {
      if (!source) throw new Error('the source is not made yet: the mount is not up')
      return source
    },
  }
}

// Python: O_DIRECT reads of 4 KiB blocks of argv[1], the nth at block (start + n * stride) % blocks,
// each compared with argv[2] (the source file) at that offset.
const DIRECT_READS = [
  'import mmap, os, sys',
  'path, source, count, start, stride = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])',
  'fd = os.open(path, os.O_RDONLY | os.O_DIRECT)',
  'blocks = os.fstat(fd).st_size // 4096',
  'expected = open(source, "rb").read()',
  'buf = mmap.mmap(-1, 4096)',
  'wrong = 0',
  'for n in range(count):',
  '    at = (start + n * stride) % blocks * 4096',
  '    if os.preadv(fd, [buf], at) != 4096 or buf[:] != expected[at:at + 4096]: wrong += 1',
  'print("wrong", wrong)',
].join('\n')

/**
 * `count` O_DIRECT reads of 4 KiB blocks of `path` from another process, the nth at block
 * (start + n * stride) % blocks: what it printed, "wrong N\n" for N blocks unlike `source`'s.
 */
export async function directReads(path: string, source: string, count: number, start: number, stride: number): Promise<string> {
  const { stdout } = await promisify(execFile)('python3', ['-c', DIRECT_READS, path, source, String(count), String(start), String(stride)])
  return stdout
}
