import { spawn } from 'node:child_process'
import { chmodSync, chownSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CallerContext, OpenFlags, ROOT_INO, SetattrValid, Timespec, type SetattrRequest, orThrow } from '@fusekit/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { CallerOwnership } from '../src/caller-ownership.js'
import { ListedEntries } from '../src/listed-entries.js'
import { PassthroughInodes } from '../src/passthrough.js'
import { calls } from '../src/source-calls.js'
import { SourceNodes } from '../src/source-nodes.js'
import { SourceSetId } from '../src/source-set-id.js'
import { asRoot, expectFsError, passthrough, sandbox, type Sandbox } from './helpers.js'

// Every file belongs to alice, group SHARED: carol is in it, alice and bob are not. No pid: no
// supplementary groups.
const SHARED = 3000
const alice = new CallerContext(2001, 3001, 0)
const bob = new CallerContext(2002, 3002, 0)
const carol = new CallerContext(2003, SHARED, 0)
const { MODE, UID, GID, SIZE, FH } = SetattrValid

function request(valid: number, change: Partial<SetattrRequest> = {}): SetattrRequest {
  const t = Timespec.fromMillis(0)
  return { valid, mode: 0, uid: 0, gid: 0, size: 0, atime: t, mtime: t, ctime: t, ...change }
}

/** Files of alice's in group SHARED with the modes given (a name ending in "/" is a directory), and the backend over them. */
async function filesOf(modes: Record<string, number>): Promise<{ box: Sandbox; ops: PassthroughInodes; node: (name: string) => Promise<number>; mode: (name: string) => number }> {
  const box = sandbox()
  for (const [name, mode] of Object.entries(modes)) {
    const path = join(box.source, name)
    if (name.endsWith('/')) mkdirSync(path)
    else writeFileSync(path, 'data')
    chownSync(path, alice.uid, SHARED)
    chmodSync(path, mode)
  }
  const ops = await passthrough(box)
  return {
    box,
    ops,
    node: async (name) => (orThrow(ops.lookup(asRoot, ROOT_INO, name.replace(/\/$/, '')))).ino,
    mode: (name) => lstatSync(join(box.source, name)).mode & 0o7777,
  }
}

describe('a setattr naming no field (chown(-1, -1), or the kernel before a write)', () => {
  it('clears what a chown by the caller clears; EPERM, changing nothing, for a caller who may neither change the mode nor write', async () => {
    const { ops, node, mode } = await filesOf({ setuid: 0o4755, 'setgid-nogx': 0o2745, 'bob-writes': 0o2666, 'alice-own': 0o2745, plain: 0o644 })
    await expectFsError(async () => ops.setattr(bob, await node('setuid'), request(0)), 'EPERM')
    await expectFsError(async () => ops.setattr(bob, await node('setgid-nogx'), request(0)), 'EPERM')
    // Nothing to clear for a member of the group, nor on a plain file.
    await ops.setattr(carol, await node('setgid-nogx'), request(0))
    await ops.setattr(bob, await node('plain'), request(0))
    // bob may write: what the kernel sends before his write.
    await ops.setattr(bob, await node('bob-writes'), request(0))
    await ops.setattr(alice, await node('alice-own'), request(FH))
    expect([mode('setuid'), mode('setgid-nogx'), mode('plain'), mode('bob-writes'), mode('alice-own')]).toEqual([0o4755, 0o2745, 0o644, 0o666, 0o745])
  })
})

describe('chown', () => {
  it('clears S_ISUID, and S_ISGID when group-executable or the caller is outside the file’s group, even by root and without a change; directories keep theirs', async () => {
    const { ops, node, mode } = await filesOf({ a: 0o6755, b: 0o2745, c: 0o2745, d: 0o2745, e: 0o6755, 'dir/': 0o6755 })
    await ops.setattr(alice, await node('a'), request(GID, { gid: 3001 }))
    await ops.setattr(alice, await node('b'), request(GID, { gid: 3001 }))
    await ops.setattr(carol, await node('c'), request(UID | GID, { uid: 0xffffffff, gid: SHARED }))
    await ops.setattr(asRoot, await node('d'), request(UID | GID, { uid: 0, gid: 0 }))
    await ops.setattr(asRoot, await node('e'), request(UID, { uid: alice.uid }))
    await ops.setattr(asRoot, await node('dir/'), request(UID | GID, { uid: 0, gid: 0 }))
    expect(['a', 'b', 'c', 'd', 'e', 'dir'].map(mode)).toEqual([0o755, 0o745, 0o2745, 0o2745, 0o755, 0o6755])
  })

  it('sent with the mode the kernel worked out (its own rule keeps S_ISGID without group execute), still loses what Linux clears', async () => {
    const { box, ops, node, mode } = await filesOf({ file: 0o6745 })
    await ops.setattr(alice, await node('file'), request(GID | MODE, { gid: 3001, mode: 0o2745 }))
    expect(lstatSync(join(box.source, 'file')).gid).toBe(3001)
    expect(mode('file')).toBe(0o745)
  })
})

describe('truncate and open with O_TRUNC', () => {
  it('clear what a write by the caller clears; root’s clear nothing', async () => {
    const { ops, node, mode } = await filesOf({ 'bob-2666': 0o2666, 'carol-2664': 0o2664, 'carol-6775': 0o6775, 'root-6777': 0o6777, 'open-6775': 0o6775, 'open-2664': 0o2664, 'root-open': 0o6777 })
    await ops.setattr(bob, await node('bob-2666'), request(SIZE, { size: 2 }))
    await ops.setattr(carol, await node('carol-2664'), request(SIZE, { size: 2 }))
    const fh = await ops.open(carol, await node('carol-6775'), OpenFlags.O_RDWR)
    await ops.setattr(carol, await node('carol-6775'), request(SIZE | FH, { size: 2, fh }))
    await ops.release(carol, 0, fh)
    await ops.setattr(asRoot, await node('root-6777'), request(SIZE, { size: 2 }))
    for (const [caller, name] of [[carol, 'open-6775'], [carol, 'open-2664'], [asRoot, 'root-open']] as const) {
      await ops.release(caller, 0, await ops.open(caller, await node(name), OpenFlags.O_WRONLY | OpenFlags.O_TRUNC))
    }
    const names = ['bob-2666', 'carol-2664', 'carol-6775', 'root-6777', 'open-6775', 'open-2664', 'root-open']
    expect(names.map(mode)).toEqual([0o666, 0o2664, 0o775, 0o6777, 0o775, 0o2664, 0o6777])
  })

  it('count the supplementary groups of the caller’s process as its groups', async () => {
    const { ops, node, mode } = await filesOf({ member: 0o2664, outsider: 0o2664 })
    const member = spawn('setpriv', [`--reuid=${bob.uid}`, `--regid=${bob.gid}`, `--groups=${SHARED}`, 'sleep', '30'])
    try {
      await new Promise((resolve) => setTimeout(resolve, 200))
      await ops.setattr(new CallerContext(bob.uid, bob.gid, member.pid!), await node('member'), request(SIZE, { size: 1 }))
      await ops.setattr(bob, await node('outsider'), request(SIZE, { size: 1 }))
      expect([mode('member'), mode('outsider')]).toEqual([0o2664, 0o664])
    } finally {
      member.kill()
    }
  })
})

describe('writes', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('a handle anyone but root opened for writing on a set-id file has no backing descriptor, and its first write clears the bits (one fstat)', async () => {
    const { ops, node, mode } = await filesOf({ 'bob-2666': 0o2666, 'carol-2664': 0o2664 })
    const fh = await ops.open(bob, await node('bob-2666'), OpenFlags.O_WRONLY)
    expect(ops.backingFd(fh)).toBeUndefined()
    const stats = vi.spyOn(calls, 'statFd')
    await ops.write(bob, 0, fh, Buffer.from('X'), 1)
    expect(stats).toHaveBeenCalledTimes(1)
    expect(mode('bob-2666')).toBe(0o666)
    await ops.write(bob, 0, fh, Buffer.from('Y'), 2)
    expect(stats).toHaveBeenCalledTimes(1)
    await ops.release(bob, 0, fh)
    // A member of the group keeps S_ISGID without group execute.
    const carols = await ops.open(carol, await node('carol-2664'), OpenFlags.O_RDWR)
    expect(ops.backingFd(carols)).toBeUndefined()
    await ops.write(carol, 0, carols, Buffer.from('X'), 0)
    await ops.release(carol, 0, carols)
    expect(mode('carol-2664')).toBe(0o2664)
  })

  it('other handles keep their backing descriptor and pay nothing: root’s, read-only ones, and those of files without set-id bits', async () => {
    const { ops, node } = await filesOf({ setuid: 0o4777, plain: 0o666 })
    const stats = vi.spyOn(calls, 'statFd')
    const root = await ops.open(asRoot, await node('setuid'), OpenFlags.O_RDWR)
    const reading = await ops.open(bob, await node('setuid'), OpenFlags.O_RDONLY)
    expect(stats).not.toHaveBeenCalled()
    const plain = await ops.open(bob, await node('plain'), OpenFlags.O_WRONLY)
    for (const fh of [root, reading, plain]) expect(ops.backingFd(fh)).toBe(fh - 1)
    stats.mockClear()
    await ops.write(bob, 0, plain, Buffer.from('X'), 0)
    await ops.write(asRoot, 0, root, Buffer.from('X'), 0)
    expect(stats).not.toHaveBeenCalled()
  })

  it('a set-id file created by anyone but root has no backing descriptor either', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'open'), { mode: 0o777 })
    chmodSync(join(box.source, 'open'), 0o777)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'open'))
    const created = await ops.create(bob, dir.ino, 'tool', 0o4755, OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    expect(ops.backingFd(created.fh)).toBeUndefined()
    await ops.write(bob, created.ino, created.fh, Buffer.from('#!'), 0)
    await ops.release(bob, created.ino, created.fh)
    expect(lstatSync(join(box.source, 'open/tool'))).toMatchObject({ uid: bob.uid, mode: 0o100755 })
  })

  it('fallocate and copy_file_range by anyone but root clear the target’s bits as a write does; root’s clear nothing', async () => {
    const { ops, node, mode } = await filesOf({ allocated: 0o6777, copied: 0o4666, 'root-allocated': 0o6777, source: 0o644 })
    const allocated = await ops.open(asRoot, await node('allocated'), OpenFlags.O_RDWR)
    await ops.fallocate(bob, 0, allocated, 0, 0, 8192)
    const from = await ops.open(asRoot, await node('source'), OpenFlags.O_RDONLY)
    const to = await ops.open(asRoot, await node('copied'), OpenFlags.O_RDWR)
    expect(await ops.copyFileRange(bob, 0, from, 0, 0, to, 0, 4, 0)).toBe(4)
    const rootAllocated = await ops.open(asRoot, await node('root-allocated'), OpenFlags.O_RDWR)
    await ops.fallocate(asRoot, 0, rootAllocated, 0, 0, 8192)
    expect([mode('allocated'), mode('copied'), mode('root-allocated')]).toEqual([0o777, 0o666, 0o6777])
  })
})

describe('a mount process that is not root', () => {
  it('leaves the clearing to the source, which does it for its own writes: no stat, and every handle keeps its backing descriptor', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'setuid'), 'data')
    chmodSync(join(box.source, 'setuid'), 0o4777)
    const ops = new PassthroughInodes({
      nodes: SourceNodes.open(box.source, 64),
      view: { umask: 0 },
      readOnly: false,
      owners: new CallerOwnership(undefined),
      setIds: new SourceSetId(false),
      listed: new ListedEntries({ entryTimeout: 1, attrTimeout: 1 }),
      timeouts: { entryTimeout: 1, attrTimeout: 1 },
      silentClose: true,
    })
    try {
      const stats = vi.spyOn(calls, 'statFd')
      const file = (orThrow(ops.lookup(bob, ROOT_INO, 'setuid'))).ino
      stats.mockClear()
      const fh = await ops.open(bob, file, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)
      expect(ops.backingFd(fh)).toBe(fh - 1)
      await ops.write(bob, file, fh, Buffer.from('X'), 0)
      await ops.fallocate(bob, file, fh, 0, 0, 4096)
      await ops.release(bob, file, fh)
      expect(stats).not.toHaveBeenCalled()
      vi.restoreAllMocks()
      expect((await ops.setattr(bob, file, request(SIZE, { size: 1 }))).mode & 0o7777).toBe(0o4777)
    } finally {
      await ops.destroy()
    }
  })
})
