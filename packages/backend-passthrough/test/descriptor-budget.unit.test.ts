import { execFileSync } from 'node:child_process'
import { lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { OpenFlags, ROOT_INO, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { defaultNodeDescriptors } from '../src/descriptor-budget.js'
import { passthroughOptions } from '../src/options.js'
import type { PassthroughInodes } from '../src/passthrough.js'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'

const BUDGET = 64
/** What a process holds besides the nodes' descriptors during these tests: an open file, reading /proc/self/fd. */
const SLACK = 4
const DIRS = 10
const FILES = 300
const DEPTH = 150

function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

/** How many descriptors this process holds of `path`. */
function descriptorsOf(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false
    }
  }).length
}

/** The highest count of open descriptors seen, above the count when it was made. */
class DescriptorWatch {
  private readonly base = openDescriptors()
  most = 0

  check(): void {
    this.most = Math.max(this.most, openDescriptors() - this.base)
  }
}

/** Files that take the descriptors of a budget of 16 when looked up: `fill<N>` in `dir`. */
const FILLERS = 40

function writeFillers(dir: string): void {
  for (let f = 0; f < FILLERS; f++) writeFileSync(join(dir, `fill${f}`), 'x')
}

/** Looks the fillers of the directory node `dir` up: the budget closes the others' descriptors. */
function lookUpFillers(ops: PassthroughInodes, dir = ROOT_INO): void {
  for (let f = 0; f < FILLERS; f++) orThrow(ops.lookup(asRoot, dir, `fill${f}`))
}

/** A source holding the file `a` (`content`) and the fillers, the backend's budget 16, and `a`'s entry. */
async function budgetedFile(content: string) {
  const box = sandbox()
  writeFileSync(join(box.source, 'a'), content)
  writeFillers(box.source)
  const ops = await passthrough(box, { nodeDescriptors: 16 })
  return { box, ops, a: orThrow(ops.lookup(asRoot, ROOT_INO, 'a')) }
}

/** Has the budget of 16 close every other node's descriptor: the root's fillers forgotten and looked up anew. */
function evict(ops: PassthroughInodes): void {
  for (let f = 0; f < FILLERS; f++) ops.forget(orThrow(ops.lookup(asRoot, ROOT_INO, `fill${f}`)).ino, 1)
  lookUpFillers(ops)
}

async function read(ops: PassthroughInodes, ino: number): Promise<string> {
  const fh = await ops.open(asRoot, ino, OpenFlags.O_RDONLY)
  const buffer = Buffer.alloc(64)
  const count = await ops.read(asRoot, ino, fh, buffer, 0)
  await ops.release(asRoot, ino, fh)
  return buffer.subarray(0, count).toString()
}

describe('a budget of node descriptors', () => {
  it(`walks, stats, reads, renames, hard-links and removes ${DIRS * FILES} files and a ${DEPTH}-deep chain holding at most ${BUDGET}`, async () => {
    const box = sandbox()
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(box.source, `d${d}`))
      for (let f = 0; f < FILES; f++) writeFileSync(join(box.source, `d${d}`, `f${f}`), `d${d}/f${f}`)
    }
    const chain = join(box.source, 'deep', ...Array<string>(DEPTH).fill('n'))
    mkdirSync(chain, { recursive: true })
    writeFileSync(join(chain, 'leaf'), 'leaf')
    const watch = new DescriptorWatch()
    const ops = await passthrough(box, { nodeDescriptors: BUDGET })

    // The kernel's dentry cache holds every node it walked: nothing is forgotten.
    const dirs: number[] = []
    const files: number[][] = []
    for (let d = 0; d < DIRS; d++) {
      dirs.push((orThrow(ops.lookup(asRoot, ROOT_INO, `d${d}`))).ino)
      files.push([])
      for (let f = 0; f < FILES; f++) {
        files[d]!.push((orThrow(ops.lookup(asRoot, dirs[d]!, `f${f}`))).ino)
        watch.check()
      }
    }
    const chainNodes = [(orThrow(ops.lookup(asRoot, ROOT_INO, 'deep'))).ino]
    for (let i = 0; i < DEPTH; i++) chainNodes.push((orThrow(ops.lookup(asRoot, chainNodes.at(-1)!, 'n'))).ino)
    const leaf = (orThrow(ops.lookup(asRoot, chainNodes.at(-1)!, 'leaf'))).ino

    for (let d = 0; d < DIRS; d++) {
      for (let f = 0; f < FILES; f++) {
        expect((await ops.getattr(asRoot, files[d]![f]!)).size).toBe(`d${d}/f${f}`.length)
        expect(await read(ops, files[d]![f]!)).toBe(`d${d}/f${f}`)
        watch.check()
      }
    }
    // Every directory of the chain closed: reopened one beneath the other, from the root down.
    expect(await read(ops, leaf)).toBe('leaf')
    watch.check()

    // Renamed through the mount, a node is reopened by its new name; a renamed directory's files beneath it.
    for (let d = 0; d < DIRS / 2; d++) {
      for (let f = 0; f < FILES; f++) await ops.rename(asRoot, dirs[d]!, `f${f}`, dirs[d + DIRS / 2]!, `moved-${d}-${f}`, 0)
    }
    await ops.rename(asRoot, ROOT_INO, `d${DIRS - 1}`, ROOT_INO, 'renamed', 0)
    for (let d = 0; d < DIRS; d++) {
      for (let f = 0; f < FILES; f++) {
        expect(await read(ops, files[d]![f]!)).toBe(`d${d}/f${f}`)
        watch.check()
      }
    }

    // Hard-linked, then the first name unlinked: the node is reached by the other.
    for (let f = 0; f < FILES; f++) {
      expect((await ops.link(asRoot, files[5]![f]!, dirs[0]!, `hard-${f}`)).ino).toBe(files[5]![f])
      await ops.unlink(asRoot, dirs[5]!, `f${f}`)
    }
    for (let f = 0; f < FILES; f++) {
      expect(await ops.getattr(asRoot, files[5]![f]!)).toMatchObject({ nlink: 1, size: `d5/f${f}`.length })
      expect(await read(ops, files[5]![f]!)).toBe(`d5/f${f}`)
      watch.check()
    }

    for (let d = 0; d < DIRS; d++) {
      const names = [...(await ops.readdir(asRoot, dirs[d]!, 0, 0, false))].map((e) => e.name).filter((n) => n !== '.' && n !== '..')
      for (const name of names) await ops.unlink(asRoot, dirs[d]!, name)
      watch.check()
    }
    for (let d = 0; d < DIRS - 1; d++) await ops.rmdir(asRoot, ROOT_INO, `d${d}`)
    await ops.rmdir(asRoot, ROOT_INO, 'renamed')
    await ops.unlink(asRoot, chainNodes.at(-1)!, 'leaf')
    for (let i = DEPTH; i > 0; i--) await ops.rmdir(asRoot, chainNodes[i - 1]!, 'n')
    await ops.rmdir(asRoot, ROOT_INO, 'deep')
    expect(readdirSync(box.source)).toEqual([])
    expect(watch.most).toBeGreaterThan(BUDGET / 2)
    expect(watch.most).toBeLessThanOrEqual(BUDGET + SLACK)
  })

  it('READDIRPLUS of a directory of thousands of entries stays within the budget', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    for (let f = 0; f < 3000; f++) writeFileSync(join(box.source, 'dir', `f${f}`), 'x')
    const watch = new DescriptorWatch()
    const ops = await passthrough(box, { nodeDescriptors: BUDGET })
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const names: string[] = []
    for (const entry of await ops.readdir(asRoot, dir.ino, 0, 0, true)) {
      if (entry.entry) {
        names.push(entry.name)
        expect(entry.entry.attr.size).toBe(1)
      }
      watch.check()
    }
    expect(names).toHaveLength(3000)
    expect(watch.most).toBeLessThanOrEqual(BUDGET + SLACK)
  })

  it('a listing whose directory’s descriptors were closed in the middle reads on from where it was', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    for (let f = 0; f < 2000; f++) writeFileSync(join(box.source, 'dir', `f${f}`), 'x')
    writeFillers(box.source)
    const ops = await passthrough(box, { nodeDescriptors: 16 })
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const whole = [...(await ops.readdir(asRoot, dir.ino, 0, 0, false))].map((e) => e.name)
    const listing = (await ops.readdir(asRoot, dir.ino, 0, 0, false))[Symbol.iterator]()
    const read: string[] = []
    for (let i = 0; i < 1000; i++) read.push(listing.next().value!.name)
    expect(descriptorsOf(join(box.source, 'dir'))).toBe(2)
    // The directory's node and its listing are the least recently used: both close.
    lookUpFillers(ops)
    expect(descriptorsOf(join(box.source, 'dir'))).toBe(0)
    for (let step = listing.next(); !step.done; step = listing.next()) read.push(step.value.name)
    expect(read).toEqual(whole)
  })

  it('a node whose descriptor was closed and whose name now leads to another file is stale (ESTALE), never that file', async () => {
    const { box, ops, a } = await budgetedFile('the first a')
    writeFileSync(join(box.source, 'other'), 'another file')
    // Looked up after `a`, these take the budget: `a` is closed.
    lookUpFillers(ops)
    renameSync(join(box.source, 'other'), join(box.source, 'a'))
    await expectFsError(() => ops.getattr(asRoot, a.ino), 'ESTALE')
    await expectFsError(() => ops.open(asRoot, a.ino, OpenFlags.O_RDONLY), 'ESTALE')
    await expectFsError(() => ops.setxattr(asRoot, a.ino, 'user.x', Buffer.from('v'), 0), 'ESTALE')
    // The kernel looking the name up again finds the other file, as another node.
    const found = orThrow(ops.lookup(asRoot, ROOT_INO, 'a'))
    expect(found.ino).not.toBe(a.ino)
    expect(await read(ops, found.ino)).toBe('another file')
  })

  it('a node whose descriptor was closed and whose name was removed in the source is stale; found by another name it works again', async () => {
    const { box, ops, a } = await budgetedFile('content')
    lookUpFillers(ops)
    renameSync(join(box.source, 'a'), join(box.source, 'b'))
    await expectFsError(() => ops.getattr(asRoot, a.ino), 'ESTALE')
    const b = orThrow(ops.lookup(asRoot, ROOT_INO, 'b'))
    expect(b.ino).toBe(a.ino)
    expect(await read(ops, a.ino)).toBe('content')
  })

  it('a hard-linked node whose descriptor was closed is reopened by any name the kernel knows, whichever goes', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'one'))
    mkdirSync(join(box.source, 'two'))
    writeFileSync(join(box.source, 'one/a'), 'shared')
    writeFillers(box.source)
    const ops = await passthrough(box, { nodeDescriptors: 16 })
    const one = orThrow(ops.lookup(asRoot, ROOT_INO, 'one'))
    const two = orThrow(ops.lookup(asRoot, ROOT_INO, 'two'))
    const a = orThrow(ops.lookup(asRoot, one.ino, 'a'))
    await ops.link(asRoot, a.ino, two.ino, 'b')
    evict(ops)
    await ops.unlink(asRoot, one.ino, 'a')
    expect(await read(ops, a.ino)).toBe('shared')
    evict(ops)
    await ops.link(asRoot, a.ino, one.ino, 'c')
    await ops.unlink(asRoot, two.ino, 'b')
    evict(ops)
    expect(await ops.getattr(asRoot, a.ino)).toMatchObject({ nlink: 1, size: 6 })
    rmSync(join(box.source, 'one/c'))
    evict(ops)
    await expectFsError(() => ops.getattr(asRoot, a.ino), 'ESTALE')
  })

  it('a hard-linked node whose newest name was removed in the source is reopened by an older one; unlinking its newest keeps the others', async () => {
    const { box, ops, a } = await budgetedFile('shared')
    await ops.link(asRoot, a.ino, ROOT_INO, 'b')
    await ops.link(asRoot, a.ino, ROOT_INO, 'c')
    evict(ops)
    rmSync(join(box.source, 'c'))
    expect(await read(ops, a.ino)).toBe('shared')
    evict(ops)
    await ops.unlink(asRoot, ROOT_INO, 'b')
    evict(ops)
    expect(await ops.getattr(asRoot, a.ino)).toMatchObject({ nlink: 1, size: 6 })
    rmSync(join(box.source, 'a'))
    evict(ops)
    await expectFsError(() => ops.getattr(asRoot, a.ino), 'ESTALE')
  })

  it('rename and link reach both directories when neither holds its descriptor, with the smallest budget', async () => {
    const box = sandbox()
    const left = join(box.source, 'l', ...Array<string>(30).fill('x'))
    const right = join(box.source, 'r', ...Array<string>(30).fill('y'))
    mkdirSync(left, { recursive: true })
    mkdirSync(right, { recursive: true })
    writeFileSync(join(left, 'file'), 'moving')
    const ops = await passthrough(box, { nodeDescriptors: 16 })
    const walk = async (top: string, name: string) => {
      let ino = (orThrow(ops.lookup(asRoot, ROOT_INO, top))).ino
      for (let i = 0; i < 30; i++) ino = (orThrow(ops.lookup(asRoot, ino, name))).ino
      return ino
    }
    const l = await walk('l', 'x')
    const r = await walk('r', 'y')
    const file = (orThrow(ops.lookup(asRoot, l, 'file'))).ino
    await walk('r', 'y')
    await walk('l', 'x')
    await ops.rename(asRoot, l, 'file', r, 'moved', 0)
    await walk('l', 'x')
    await ops.link(asRoot, file, l, 'back')
    expect(await read(ops, file)).toBe('moving')
    expect(readdirSync(left)).toEqual(['back'])
    expect(readdirSync(right)).toEqual(['moved'])
  })
})

describe('bind mounts that make a directory appear beneath itself', () => {
  /** Bind-mounts `from` onto `to` for the length of `body` (the tests run as root). */
  async function boundOnto<T>(from: string, to: string, body: () => Promise<T>): Promise<T> {
    execFileSync('mount', ['--bind', from, to])
    try {
      return await body()
    } finally {
      // Detached even if something under test left a descriptor beneath it.
      execFileSync('umount', ['--lazy', to])
    }
  }

  it('a directory reopened by a name beneath itself gives that name up for another (ELOOP there, not a stack overflow)', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'a/b/loop'), { recursive: true })
    writeFileSync(join(box.source, 'a/file'), 'inside a')
    writeFillers(box.source)
    await boundOnto(join(box.source, 'a'), join(box.source, 'a/b/loop'), async () => {
      const before = openDescriptors()
      const ops = await passthrough(box, { nodeDescriptors: 16 })
      try {
        const a = orThrow(ops.lookup(asRoot, ROOT_INO, 'a'))
        const b = orThrow(ops.lookup(asRoot, a.ino, 'b'))
        // The same inode: the node of `a`, now also named `loop` in `b`.
        expect((orThrow(ops.lookup(asRoot, b.ino, 'loop'))).ino).toBe(a.ino)
        const file = orThrow(ops.lookup(asRoot, a.ino, 'file'))
        lookUpFillers(ops)
        expect(await read(ops, file.ino)).toBe('inside a')
        await ops.destroy()
        // Every descriptor opened was a node's, and closed with it.
        expect(openDescriptors()).toBe(before)
      } finally {
        // Nothing may hold the bind mount when it goes.
        await ops.destroy()
      }
    })
  })

  it('the root, named again beneath itself, keeps its descriptor', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'sub/root'), { recursive: true })
    writeFillers(join(box.source, 'sub'))
    await boundOnto(box.source, join(box.source, 'sub/root'), async () => {
      const ops = await passthrough(box, { nodeDescriptors: 16 })
      try {
        const sub = orThrow(ops.lookup(asRoot, ROOT_INO, 'sub'))
        expect((orThrow(ops.lookup(asRoot, sub.ino, 'root'))).ino).toBe(ROOT_INO)
        // Lookups in `sub` only: the root is the least recently used.
        lookUpFillers(ops, sub.ino)
        expect(descriptorsOf(box.source)).toBe(1)
        expect((await ops.getattr(asRoot, ROOT_INO)).ino).toBe(lstatSync(box.source).ino)
      } finally {
        await ops.destroy()
      }
    })
  })
})

describe('the budget’s size', () => {
  it('is three quarters of the descriptor limit by default, and at least 16', () => {
    expect(defaultNodeDescriptors(20000)).toBe(15000)
    expect(defaultNodeDescriptors(1024)).toBe(768)
    expect(defaultNodeDescriptors(10)).toBe(16)
  })

  it('is set with --node-descriptors, an integer of at least 16', () => {
    expect(passthroughOptions.parse({ source: '/s', nodeDescriptors: 64 }).nodeDescriptors).toBe(64)
    for (const value of [15, 0, -1, 64.5]) expect(passthroughOptions.safeParse({ source: '/s', nodeDescriptors: value }).success, String(value)).toBe(false)
  })
})
