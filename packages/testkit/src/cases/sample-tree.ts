import { chmod, link, lstat, mkdir, readdir, readFile, readlink, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertMode, assertSameBytes } from './assertions.js'
import { S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from './constants.js'
import { hostileNames } from './hostile-names.js'
import type { Capability } from './types.js'

/**
 * The sample tree: what the reading cases expect to find. A writable mount gets it written into
 * a case's directory; a read-only backend must show it at its root (build the backend's data from
 * `writeSampleTree(dir)`: an archive of it, a bucket holding it, ...).
 */
export type SampleEntry =
  | { type: 'directory'; path: string; mode: number; mtime: number }
  | { type: 'file'; path: string; content: Buffer; mode: number; mtime: number }
  | { type: 'symlink'; path: string; target: string }
  /** A second name of the file at `target` (a path of the tree). */
  | { type: 'hardlink'; path: string; target: string }

/** Bytes that differ from their neighbours and from one 2 KiB stretch to the next: a read at a wrong offset shows. */
export function samplePattern(length: number): Buffer {
  const bytes = Buffer.alloc(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff
  return bytes
}

const T0 = 1_600_000_000
const long = (word: string) => `${word}-of-a-path-long-enough-to-need-more-than-tar-s-hundred-bytes`

/** Every entry, parents before children; times in whole seconds (every mount keeps those). */
export const sampleTree: readonly SampleEntry[] = [
  { type: 'file', path: 'hello.txt', content: Buffer.from('hello, world\n'), mode: 0o644, mtime: T0 + 1 },
  { type: 'file', path: 'empty', content: Buffer.alloc(0), mode: 0o600, mtime: T0 + 2 },
  { type: 'file', path: 'block-sized.bin', content: samplePattern(512), mode: 0o644, mtime: T0 + 3 },
  { type: 'file', path: 'big.bin', content: samplePattern(3 * 1024 * 1024 + 1234), mode: 0o644, mtime: T0 + 4 },
  { type: 'file', path: 'run.sh', content: Buffer.from('#!/bin/sh\necho "sample script: $1"\n'), mode: 0o755, mtime: T0 + 5 },
  { type: 'file', path: 'read-only.txt', content: Buffer.from('nobody writes here\n'), mode: 0o444, mtime: T0 + 6 },
  { type: 'directory', path: 'dir', mode: 0o755, mtime: T0 + 10 },
  { type: 'directory', path: 'dir/nested', mode: 0o750, mtime: T0 + 11 },
  { type: 'directory', path: 'dir/nested/deeper', mode: 0o755, mtime: T0 + 12 },
  { type: 'file', path: 'dir/nested/deeper/file.txt', content: Buffer.from('three levels down\n'), mode: 0o640, mtime: T0 + 13 },
  { type: 'directory', path: 'dir/private', mode: 0o700, mtime: T0 + 14 },
  { type: 'file', path: 'dir/private/secret', content: Buffer.from('s3cret\n'), mode: 0o600, mtime: T0 + 15 },
  { type: 'directory', path: 'long-path', mode: 0o755, mtime: T0 + 20 },
  { type: 'directory', path: `long-path/${long('first')}`, mode: 0o755, mtime: T0 + 21 },
  { type: 'directory', path: `long-path/${long('first')}/${long('second')}`, mode: 0o755, mtime: T0 + 22 },
  { type: 'file', path: `long-path/${long('first')}/${long('second')}/${long('file')}.txt`, content: Buffer.from('deep\n'), mode: 0o644, mtime: T0 + 23 },
  { type: 'directory', path: 'names', mode: 0o755, mtime: T0 + 30 },
  ...hostileNames.flatMap(({ names }) => names).map((name, i): SampleEntry => ({ type: 'file', path: `names/${name}`, content: Buffer.from(name), mode: 0o644, mtime: T0 + 31 + i })),
  { type: 'directory', path: 'links', mode: 0o755, mtime: T0 + 60 },
  { type: 'symlink', path: 'links/relative', target: '../hello.txt' },
  { type: 'symlink', path: 'links/to-dir', target: '../dir/nested' },
  { type: 'symlink', path: 'links/dangling', target: 'no/such/file' },
  { type: 'symlink', path: 'links/absolute', target: '/nonexistent/absolute/target' },
  { type: 'symlink', path: 'links/long-target', target: `${'segment/'.repeat(40)}end` },
  { type: 'hardlink', path: 'links/hard-hello', target: 'hello.txt' },
]

/** What a mount with these capabilities can hold of the sample tree (all of it by default). */
export function sampleEntries(capabilities?: ReadonlySet<Capability>): SampleEntry[] {
  const allowed = (entry: SampleEntry) =>
    !capabilities || (entry.type === 'symlink' ? capabilities.has('symlinks') : entry.type === 'hardlink' ? capabilities.has('hardlinks') : true)
  return sampleTree.filter(allowed)
}

/** How the sample tree is written: through node:fs (below), or through a backend's operations (the in-process tier). */
export interface TreeWriter {
  mkdir(path: string): Promise<void>
  writeFile(path: string, content: Buffer): Promise<void>
  symlink(target: string, path: string): Promise<void>
  link(existing: string, path: string): Promise<void>
  chmod(path: string, mode: number): Promise<void>
  /** Sets atime and mtime to whole seconds. */
  utimes(path: string, seconds: number): Promise<void>
}

/** How the sample tree is read back, without following symlinks. */
export interface TreeReader {
  /** The names in a directory as bytes, without . and .. */
  list(path: string): Promise<Buffer[]>
  lstat(path: string): Promise<{ mode: number; size: number; mtimeNs: bigint; ino: bigint; nlink: number }>
  readFile(path: string): Promise<Buffer>
  readlink(path: string): Promise<string>
}

const nodeWriter: TreeWriter = {
  mkdir: (path) => mkdir(path),
  writeFile: (path, content) => writeFile(path, content),
  symlink: (target, path) => symlink(target, path),
  link: (existing, path) => link(existing, path),
  chmod: (path, mode) => chmod(path, mode),
  utimes: (path, seconds) => utimes(path, seconds, seconds),
}

export const nodeTreeReader: TreeReader = {
  list: (path) => readdir(path, { encoding: 'buffer' }),
  lstat: async (path) => {
    const s = await lstat(path, { bigint: true })
    return { mode: Number(s.mode), size: Number(s.size), mtimeNs: s.mtimeNs, ino: s.ino, nlink: Number(s.nlink) }
  },
  readFile: (path) => readFile(path),
  readlink: (path) => readlink(path),
}

/**
 * Writes the sample tree into the existing directory `root` (on a local disk to build a
 * read-only backend's data from, or through a writable mount): entries first, then modes and
 * times, children before their directories (a new entry changes its directory's mtime). With
 * `capabilities`, only the entries such a mount can hold.
 */
export async function writeSampleTree(root: string, capabilities?: ReadonlySet<Capability>, writer: TreeWriter = nodeWriter): Promise<void> {
  const entries = sampleEntries(capabilities)
  for (const entry of entries) {
    const path = join(root, entry.path)
    if (entry.type === 'directory') await writer.mkdir(path)
    else if (entry.type === 'file') await writer.writeFile(path, entry.content)
    else if (entry.type === 'symlink') await writer.symlink(entry.target, path)
    else await writer.link(join(root, entry.target), path)
  }
  for (const entry of [...entries].reverse()) {
    if (entry.type !== 'file' && entry.type !== 'directory') continue
    const path = join(root, entry.path)
    await writer.chmod(path, entry.mode)
    await writer.utimes(path, entry.mtime)
  }
}

/** The sample tree's file behind a path (following a hard link to its target). */
export function sampleFile(path: string): Extract<SampleEntry, { type: 'file' }> {
  const entry = sampleTree.find((e) => e.path === path)
  if (entry?.type === 'hardlink') return sampleFile(entry.target)
  if (entry?.type !== 'file') throw new Error(`the sample tree has no file ${path}`)
  return entry
}

const byBytes = (a: Buffer, b: Buffer) => Buffer.compare(a, b)

/** Names directly in `dir` (a path of the tree, '' for its root), as bytes. */
function childNames(entries: readonly SampleEntry[], dir: string): Buffer[] {
  const prefix = dir === '' ? '' : `${dir}/`
  return entries.filter((e) => e.path.startsWith(prefix) && !e.path.slice(prefix.length).includes('/')).map((e) => Buffer.from(e.path.slice(prefix.length))).sort(byBytes)
}

/**
 * Asserts that `root` shows the sample tree (the entries a mount with `capabilities` holds):
 * every name byte for byte, type, permission bits, size, content, symlink target, and mtime.
 * The root itself may hold more (a read-only backend's root is the tree's root).
 */
export async function checkSampleTree(root: string, capabilities: ReadonlySet<Capability>, reader: TreeReader = nodeTreeReader): Promise<void> {
  const entries = sampleEntries(capabilities)
  const rootNames = (await reader.list(root)).sort(byBytes)
  for (const name of childNames(entries, '')) assert.ok(rootNames.some((n) => n.equals(name)), `${name.toString()} is listed at the root`)
  for (const dir of entries.filter((e) => e.type === 'directory')) {
    assert.deepEqual((await reader.list(join(root, dir.path))).sort(byBytes), childNames(entries, dir.path), `names listed in ${dir.path}`)
  }
  for (const entry of entries) {
    const path = join(root, entry.path)
    const seen = await reader.lstat(path)
    if (entry.type === 'symlink') {
      assertMode(seen.mode & S_IFMT, S_IFLNK, `type of ${entry.path}`)
      assert.equal(seen.size, Buffer.byteLength(entry.target), `size of the symlink ${entry.path}`)
      assert.equal(await reader.readlink(path), entry.target, `target of ${entry.path}`)
      continue
    }
    const expected = entry.type === 'hardlink' ? sampleFile(entry.target) : entry
    if (entry.type === 'hardlink' && !capabilities.has('coherentLinks')) {
      const target = sampleFile(entry.target)
      // Its own kernel inode, whose attributes may predate the modes and times set through the first name.
      assertSameBytes(await reader.readFile(path), target.content, `content of ${entry.path}`)
      continue
    }
    assertMode(seen.mode, (expected.type === 'file' ? S_IFREG : S_IFDIR) | expected.mode, entry.path)
    assert.equal(seen.mtimeNs, BigInt(expected.mtime) * 1_000_000_000n, `mtime of ${entry.path}`)
    if (expected.type === 'file') {
      assert.equal(seen.size, expected.content.length, `size of ${entry.path}`)
      assertSameBytes(await reader.readFile(path), expected.content, `content of ${entry.path}`)
    }
  }
}
