import { execFileSync } from 'node:child_process'
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FileType, ROOT_INO, type InodeDirEntry, type ListingWriter, orThrow } from '@fusekit/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { PassthroughInodes } from '../src/passthrough.js'
import { OPEN_LISTINGS } from '../src/source-nodes.js'
import { calls } from '../src/source-calls.js'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'

/** Draws up to `count` entries from a listing, the way one READDIR reply takes what fits. */
function take(listing: Iterator<InodeDirEntry>, count: number): InodeDirEntry[] {
  const taken: InodeDirEntry[] = []
  while (taken.length < count) {
    const step = listing.next()
    if (step.done) break
    taken.push(step.value)
  }
  return taken
}

async function listing(ops: PassthroughInodes, ino: number, offset = 0, withStats = false): Promise<Iterator<InodeDirEntry>> {
  return (await ops.readdir(asRoot, ino, 0, offset, withStats))[Symbol.iterator]()
}

/** The node ids a READDIRPLUS listing of `ino` from its start gives, by name ("." and ".." have none). */
async function plusListing(ops: PassthroughInodes, ino: number): Promise<Record<string, number | undefined>> {
  const entries = [...(await ops.readdir(asRoot, ino, 0, 0, true))].filter((e) => e.name !== '.' && e.name !== '..')
  return Object.fromEntries(entries.map((e) => [e.name, e.entry?.ino]))
}

/** A directory `dir` in the source with `count` files. */
function directoryOf(source: string, count: number): string {
  const dir = join(source, 'dir')
  mkdirSync(dir)
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `file-${i}`), '')
  return dir
}

/** Linux's O_PATH, as /proc/self/fdinfo shows open flags (octal). */
const O_PATH = 0o10000000

/** The descriptors this process holds for reading directories beneath `source` (not the nodes' O_PATH ones). */
function readingDescriptors(source: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      if (!readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${source}/`)) return false
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1]
      return flags !== undefined && (Number.parseInt(flags, 8) & O_PATH) === 0
    } catch {
      return false // closed meanwhile: /proc/self/fd's own
    }
  }).length
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('readdir', () => {
  it('lists every entry with getdents’ inode number and type, "." and ".." included', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/sub'), { recursive: true })
    writeFileSync(join(box.source, 'dir/file'), 'x')
    symlinkSync('file', join(box.source, 'dir/link'))
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const entries = [...(await ops.readdir(asRoot, dir.ino, 0, 0, false))]
    expect(entries.map((e) => e.name).sort()).toEqual(['.', '..', 'file', 'link', 'sub'])
    for (const { name, ino, type, entry } of entries) {
      const real = lstatSync(join(box.source, 'dir', name))
      expect({ ino, type, entry }, name).toEqual({ ino: real.ino, type: real.mode & FileType.S_IFMT, entry: undefined })
    }
    // The root's ".." lies outside the source: it shows the root itself.
    const root = [...(await ops.readdir(asRoot, ROOT_INO, 0, 0, false))]
    const rootIno = lstatSync(box.source).ino
    expect(root.filter((e) => e.name === '.' || e.name === '..').map((e) => e.ino)).toEqual([rootIno, rootIno])
  })

  it('with stats, gives each name its Entry (never "." and ".."), as a lookup would', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir/sub'), { recursive: true })
    writeFileSync(join(box.source, 'dir/file'), 'xyz')
    const ops = await passthrough(box, { uid: 1234 })
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const entries = [...(await ops.readdir(asRoot, dir.ino, 0, 0, true))]
    for (const { name, entry } of entries.filter((e) => e.name !== '.' && e.name !== '..')) {
      const real = lstatSync(join(box.source, 'dir', name))
      expect(entry?.attr, name).toMatchObject({ ino: real.ino, mode: real.mode, size: real.size, uid: 1234 })
      expect((orThrow(ops.lookup(asRoot, dir.ino, name))).ino).toBe(entry?.ino)
    }
    expect(entries.filter((e) => e.entry === undefined).map((e) => e.name).sort()).toEqual(['.', '..'])
  })

  it('with stats, shows each name as a lookup does: types, device numbers, times before 1970, owners and modes shown', async () => {
    const box = sandbox()
    const dir = join(box.source, 'dir')
    mkdirSync(join(dir, 'sub'), { recursive: true })
    writeFileSync(join(dir, 'old'), 'abc')
    // Node takes a negative time for "now": touch sets it.
    execFileSync('touch', ['-a', '-d', '@-1000000.25', join(dir, 'old')])
    symlinkSync('old', join(dir, 'link'))
    execFileSync('mkfifo', [join(dir, 'fifo')])
    // A device number past 16 bits: major 259, minor 300 (the kernel's 32-bit encoding splits the minor).
    execFileSync('mknod', [join(dir, 'device'), 'c', '259', '300'])
    const ops = await passthrough(box, { uid: 1234, umask: '027' })
    const node = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const entries = [...(await ops.readdir(asRoot, node.ino, 0, 0, true))].filter((e) => e.name !== '.' && e.name !== '..')
    expect(entries.map((e) => e.name).sort()).toEqual(['device', 'fifo', 'link', 'old', 'sub'])
    for (const { name, entry } of entries) {
      expect(entry, name).toEqual(orThrow(ops.lookup(asRoot, node.ino, name)))
    }
    const device = entries.find((e) => e.name === 'device')!.entry!.attr
    expect(device.rdev).toBe(((300 & 0xff) | (259 << 8) | ((300 & ~0xff) << 12)) >>> 0)
    expect(entries.find((e) => e.name === 'old')!.entry!.attr.atime).toEqual({ sec: -1_000_001, nsec: 750_000_000 })
  })

  it('writes READDIRPLUS replies itself: whole entries that fit, offsets on from where it stands, a node for every name', async () => {
    const box = sandbox()
    directoryOf(box.source, 40)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const listing = ops.readdir(asRoot, dir.ino, 0, 5, true)
    const reply = Buffer.alloc(4096)
    const used = listing.write(reply, 16, 1000, true)
    // fuse_direntplus of "file-N": 128 bytes of entry, 24 of dirent header and the name padded to 8: 160.
    expect(used).toBe(960)
    expect(listing.offset).toBe(11)
    const offsets = []
    for (let at = 16; at < 16 + used; at += 160) {
      const nodeid = Number(reply.readBigUInt64LE(at))
      const name = reply.toString('utf8', at + 152, at + 152 + reply.readUInt32LE(at + 144))
      // getdents' order is the source's own: "." and ".." may come anywhere, with no node.
      expect(nodeid, name).toBe(name === '.' || name === '..' ? 0 : orThrow(ops.lookup(asRoot, dir.ino, name)).ino)
      offsets.push(Number(reply.readBigUInt64LE(at + 136)))
    }
    expect(offsets).toEqual([6, 7, 8, 9, 10, 11])
    expect(listing.write(reply, 0, 4096, true, 2)).toBe(320)
    expect(listing.offset).toBe(13)
    expect(listing.atEnd).toBe(false)
    while (listing.write(reply, 0, 4096, false) > 0);
    expect(listing.offset).toBe(42)
    expect(listing.atEnd).toBe(true)
  })

  it('writes the first READDIRPLUS reply of a directory of more than one batch without stats, and the later ones with', async () => {
    const box = sandbox()
    directoryOf(box.source, 3000)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    /** The node ids of one reply of `size` bytes. */
    const nodeIds = (listing: ReturnType<PassthroughInodes['readdir']>, size: number): number[] => {
      const reply = Buffer.alloc(size)
      const used = listing.write(reply, 0, size, true)
      const ids = []
      for (let at = 0; at < used; at += 128 + ((24 + reply.readUInt32LE(at + 144) + 7) & ~7)) {
        const name = reply.toString('utf8', at + 152, at + 152 + reply.readUInt32LE(at + 144))
        if (name !== '.' && name !== '..') ids.push(Number(reply.readBigUInt64LE(at)))
      }
      return ids
    }
    const listing = ops.readdir(asRoot, dir.ino, 0, 0, true)
    const first = nodeIds(listing, 32768)
    expect(first.length).toBeGreaterThan(150)
    expect(first.every((id) => id === 0)).toBe(true)
    const second = nodeIds(listing, 32768)
    expect(second.length).toBeGreaterThan(150)
    expect(second.every((id) => id > 0)).toBe(true)
    // A small directory's first reply has them: the root holds "dir" and "one".
    writeFileSync(join(box.source, 'one'), '')
    const root = nodeIds(ops.readdir(asRoot, ROOT_INO, 0, 0, true), 32768)
    expect(new Set(root)).toEqual(new Set([dir.ino, orThrow(ops.lookup(asRoot, ROOT_INO, 'one')).ino]))
  })

  it('lists a name removed since getdents read it without an Entry, keeping the offsets', async () => {
    const box = sandbox()
    const dir = directoryOf(box.source, 3)
    const ops = await passthrough(box)
    const node = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    // The listing reads its first batch at once: every name is in it before the removal.
    const entries = await listing(ops, node.ino, 0, true)
    for (let i = 0; i < 3; i++) rmSync(join(dir, `file-${i}`))
    const all = take(entries, 10)
    expect(all.map((e) => e.name).sort()).toEqual(['.', '..', 'file-0', 'file-1', 'file-2'])
    expect(all.every((e) => e.entry === undefined)).toBe(true)
  })

  it('continues the same stream across reads: a huge directory is read once, not once per reply', async () => {
    const box = sandbox()
    const count = 20000
    directoryOf(box.source, count)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const opened = vi.spyOn(calls, 'openDirectory')
    const entries = await listing(ops, dir.ino)
    const names = new Set<string>()
    for (let reply = take(entries, 60); reply.length > 0; reply = take(entries, 60)) for (const e of reply) names.add(e.name)
    expect(names.size).toBe(count + 2)
    // Read on from where the last reply stopped: never reopened and stepped over again.
    expect(opened).toHaveBeenCalledTimes(1)
  })

  it('reads ahead between replies: every entry once, in the same order, whatever was read ahead and whenever a listing lost its descriptor', async () => {
    const box = sandbox()
    const count = 20000
    directoryOf(box.source, count)
    for (let d = 0; d < OPEN_LISTINGS; d++) mkdirSync(join(box.source, `other-${d}`))
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const whole = [...(await ops.readdir(asRoot, dir.ino, 0, 0, false))].map((e) => e.name)
    const read = vi.spyOn(calls, 'readAhead')
    const writer = (await ops.readdir(asRoot, dir.ino, 0, 0, false)) as ListingWriter
    const into = Buffer.alloc(32768)
    const names: string[] = []
    for (let reply = 0; ; reply++) {
      // Replies of a READDIR's sizes and of smaller ones, as the kernel asks with its caller's buffer.
      const used = writer.write(into, 0, reply % 3 === 0 ? 32768 : 2000 + reply, false)
      if (used === 0) break
      for (let at = 0; at < used; at += (24 + into.readUInt32LE(at + 16) + 7) & ~7) names.push(into.toString('utf8', at + 24, at + 24 + into.readUInt32LE(at + 16)))
      if (writer.needsReadAhead!()) writer.readAhead!()
      // Halfway, the listing gives its descriptor up to others (ls | head in other directories) and reopens it.
      if (reply === 40) for (let d = 0; d < OPEN_LISTINGS; d++) take(await listing(ops, orThrow(ops.lookup(asRoot, ROOT_INO, `other-${d}`)).ino), 1)
    }
    expect(names).toEqual(whole)
    expect(read.mock.results.filter((r) => (r.value as number) > 0).length).toBeGreaterThan(10)
    expect(writer.needsReadAhead!()).toBe(false)
  })

  it('restarts at any offset: the entries from there on, in the same order', async () => {
    const box = sandbox()
    directoryOf(box.source, 500)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const whole = [...(await ops.readdir(asRoot, dir.ino, 0, 0, false))].map((e) => e.name)
    for (const offset of [0, 1, 2, 137, 501, 502, 600]) {
      const from = [...(await ops.readdir(asRoot, dir.ino, 0, offset, false))].map((e) => e.name)
      expect(from, String(offset)).toEqual(whole.slice(offset))
    }
  })

  it('keeps two listings of one directory right when they are read in turns', async () => {
    const box = sandbox()
    directoryOf(box.source, 3000)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const whole = [...(await ops.readdir(asRoot, dir.ino, 0, 0, false))].map((e) => e.name)
    const first = await listing(ops, dir.ino)
    const second = await listing(ops, dir.ino, 1000)
    const a: string[] = []
    const b: string[] = []
    for (;;) {
      const fromA = take(first, 700).map((e) => e.name)
      const fromB = take(second, 300).map((e) => e.name)
      if (fromA.length === 0 && fromB.length === 0) break
      a.push(...fromA)
      b.push(...fromB)
    }
    expect(a).toEqual(whole)
    expect(b).toEqual(whole.slice(1000))
  })

  it('keeps at most OPEN_LISTINGS unfinished listings open (ls | head, find -empty); one let go reads on from where it stopped', async () => {
    const box = sandbox()
    const count = OPEN_LISTINGS + 8
    for (let d = 0; d < count; d++) {
      mkdirSync(join(box.source, `d${d}`))
      for (let f = 0; f < 3; f++) writeFileSync(join(box.source, `d${d}`, `f${f}`), '')
    }
    const ops = await passthrough(box)
    const dirs = Array.from({ length: count }, (_, d) => orThrow(ops.lookup(asRoot, ROOT_INO, `d${d}`)))
    const listings: Array<Iterator<InodeDirEntry>> = []
    const firsts: string[][] = []
    for (const dir of dirs) {
      const opened = await listing(ops, dir.ino)
      listings.push(opened)
      firsts.push(take(opened, 2).map((e) => e.name))
    }
    expect(readingDescriptors(box.source)).toBe(OPEN_LISTINGS)
    // The first listing gave its descriptor up: read on, it reopens its directory and steps over what it gave.
    const rest = take(listings[0]!, 10).map((e) => e.name)
    expect([...firsts[0]!, ...rest].sort()).toEqual(['.', '..', 'f0', 'f1', 'f2'])
    expect(readingDescriptors(box.source)).toBe(OPEN_LISTINGS - 1)
  })

  it('listed again at once (rm -rf reads every directory twice), gives no Entry the kernel got from the last listing: no second lookup', async () => {
    const box = sandbox()
    const dir = directoryOf(box.source, 3)
    const ops = await passthrough(box)
    const node = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const first = await plusListing(ops, node.ino)
    expect(Object.values(first).every((ino) => ino !== undefined)).toBe(true)
    // Replaced behind the mount's back: getdents' inode number differs, the new file gets its Entry.
    writeFileSync(join(box.source, 'other'), 'new')
    renameSync(join(box.source, 'other'), join(dir, 'file-1'))
    const again = await plusListing(ops, node.ino)
    expect(again['file-0']).toBeUndefined()
    expect(again['file-2']).toBeUndefined()
    expect(again['file-1']).not.toBe(first['file-1'])
    // Counted once: one forget and the node is gone.
    ops.forget(first['file-0']!, 1)
    await expectFsError(() => ops.getattr(asRoot, first['file-0']!), 'ESTALE')
  })

  it('listed again at once, stats only the names the kernel did not get moments ago', async () => {
    const box = sandbox()
    const dir = directoryOf(box.source, 3)
    const ops = await passthrough(box)
    const node = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    await plusListing(ops, node.ino)
    writeFileSync(join(dir, 'new'), '')
    const reply = Buffer.alloc(4096)
    const used = ops.readdir(asRoot, node.ino, 0, 0, true).write(reply, 0, reply.length, true)
    const attributeInos: Record<string, number> = {}
    for (let at = 0; at < used; at += 128 + ((24 + reply.readUInt32LE(at + 144) + 7) & ~7)) {
      // fuse_entry_out's attr.ino: 0 where no stat was taken.
      attributeInos[reply.toString('utf8', at + 152, at + 152 + reply.readUInt32LE(at + 144))] = Number(reply.readBigUInt64LE(at + 40))
    }
    expect(attributeInos).toEqual({ '.': 0, '..': 0, 'file-0': 0, 'file-1': 0, 'file-2': 0, new: lstatSync(join(dir, 'new')).ino })
  })

  it('gives the Entry again of a node the kernel forgot, and of every name once half the entry and attribute timeouts have passed', async () => {
    const box = sandbox()
    directoryOf(box.source, 2)
    const ops = await passthrough(box, {}, { entryTimeout: 1, attrTimeout: 4 })
    const node = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const first = await plusListing(ops, node.ino)
    ops.forget(first['file-0']!, 1)
    const again = await plusListing(ops, node.ino)
    expect(again['file-0']).toBeDefined()
    expect(again['file-1']).toBeUndefined()
    vi.spyOn(performance, 'now').mockReturnValue(performance.now() + 500)
    const later = await plusListing(ops, node.ino)
    expect(later).toEqual({ 'file-0': again['file-0'], 'file-1': first['file-1'] })
  })

  it('gives every Entry in every listing when the kernel caches no entries or attributes', async () => {
    const box = sandbox()
    directoryOf(box.source, 2)
    const ops = await passthrough(box, {}, { attrTimeout: 0 })
    const node = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const first = await plusListing(ops, node.ino)
    expect(await plusListing(ops, node.ino)).toEqual(first)
  })
})
