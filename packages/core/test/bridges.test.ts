import { describe, expect, it } from 'vitest'
import { pathsOverInodes } from '../src/bridges/inode-paths.js'
import { bridgePathOperations } from '../src/bridges/path-bridge.js'
import { FsError, orThrow } from '../src/errno.js'
import { ROOT_INO, RenameFlags, SetattrValid, type Entry, type InodeDirEntry, type InodeOperations, type SetattrRequest } from '../src/inode-operations.js'
import type { Operations } from '../src/operations.js'
import { CallerContext } from '../src/request-context.js'
import type { Stat } from '../src/types.js'

const ctx = new CallerContext(1000, 100, 42)
const stat = (ino: number, mode = 0o100644): Stat => ({
  ino, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0,
  atime: { sec: 0, nsec: 0 }, mtime: { sec: 0, nsec: 0 }, ctime: { sec: 0, nsec: 0 },
})
const unset: Omit<SetattrRequest, 'valid'> = { mode: 0, uid: 0, gid: 0, size: 0, atime: { sec: 0, nsec: 0 }, mtime: { sec: 0, nsec: 0 }, ctime: { sec: 0, nsec: 0 } }

/** A path backend over a set of paths, recording every call. */
function pathBackend(paths: string[] = ['/', '/a', '/dir', '/dir/f']) {
  const existing = new Set(paths)
  const calls: unknown[][] = []
  const record = (name: string) => async (_ctx: unknown, ...args: unknown[]) => void calls.push([name, ...args])
  const ops: Operations = {
    async getattr(_ctx, path, fh) {
      calls.push(['getattr', path, fh])
      if (!existing.has(path)) throw new FsError('ENOENT')
      return stat(paths.indexOf(path) + 100, path === '/' || path === '/dir' ? 0o40755 : 0o100644)
    },
    async readdir(_ctx, path) {
      const names = paths.filter((p) => p !== path && p.startsWith(path === '/' ? '/' : path + '/') && !p.slice(path.length + 1).includes('/'))
      return [{ name: '.', ino: 1, type: 0o040000 }, ...names.map((p) => ({ name: p.slice(p.lastIndexOf('/') + 1), stat: stat(paths.indexOf(p) + 100) }))]
    },
    async open(_ctx, path) {
      calls.push(['open', path])
      return 7
    },
    async rename(_ctx, from, to, flags) {
      calls.push(['rename', from, to, flags])
      if (flags & RenameFlags.EXCHANGE) return // both names stay
      existing.delete(from)
      existing.add(to)
    },
    async unlink(_ctx, path) {
      calls.push(['unlink', path])
      existing.delete(path)
    },
    chmod: record('chmod'),
    utimens: record('utimens'),
    truncate: record('truncate'),
  }
  return { ops, calls }
}

/** A lookup that must find the name. */
async function lookup(inodes: InodeOperations, parent: number, name: string): Promise<Entry> {
  return orThrow(await inodes.lookup(ctx, parent, name))
}

describe('the path bridge (path backends on the inode layer)', () => {
  it('turns node ids back into paths, one node per name, counted lookups until forgotten', async () => {
    const { ops } = pathBackend()
    const inodes = bridgePathOperations(ops)
    const dir = await lookup(inodes, ROOT_INO, 'dir')
    const file = await lookup(inodes, dir.ino, 'f')
    expect(file.attr.ino).toBe(103) // the backend's st_ino, under the bridge's own node id
    expect((await lookup(inodes, dir.ino, 'f')).ino).toBe(file.ino)
    inodes.forget?.(file.ino, 2)
    expect((await lookup(inodes, dir.ino, 'f')).ino).not.toBe(file.ino)
    await expect(lookup(inodes, ROOT_INO, 'missing')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('answers lookup, getattr and read at once when the backend does (no Promise), and counts no node for a name not found', async () => {
    const { ops } = pathBackend()
    const held = Buffer.from('held in memory')
    const inodes = bridgePathOperations({
      ...ops,
      getattr: (_ctx, path) => {
        if (path !== '/dir' && path !== '/dir/f') throw new FsError('ENOENT')
        return stat(path === '/dir' ? 102 : 103, path === '/dir' ? 0o40755 : 0o100644)
      },
      read: (_ctx, _path, _fh, buffer, position) => held.copy(buffer, 0, position),
    })
    const dir = inodes.lookup(ctx, ROOT_INO, 'dir') as Entry
    expect(dir.attr.ino).toBe(102)
    expect((inodes.getattr(ctx, dir.ino) as Stat).ino).toBe(102)
    const out = Buffer.alloc(6)
    expect(inodes.read!(ctx, (inodes.lookup(ctx, dir.ino, 'f') as Entry).ino, 7, out, 8)).toBe(6)
    expect(out.toString()).toBe('memory')
    expect(() => inodes.lookup(ctx, ROOT_INO, 'gone')).toThrow(expect.objectContaining({ code: 'ENOENT' }))
    // One lookup, one forget: the node is gone.
    inodes.forget!(dir.ino, 1)
    expect(() => inodes.getattr(ctx, dir.ino)).toThrow()
  })

  it('answers a setattr with the path operations it needs, in order, with the handle it came through', async () => {
    const { ops, calls } = pathBackend()
    const inodes = bridgePathOperations(ops)
    const { ino } = await lookup(inodes, ROOT_INO, 'a')
    calls.length = 0
    const valid = SetattrValid.MODE | SetattrValid.SIZE | SetattrValid.MTIME | SetattrValid.FH
    await inodes.setattr!(ctx, ino, { ...unset, valid, mode: 0o600, size: 5, mtime: { sec: 9, nsec: 1 }, fh: 7 })
    expect(calls).toEqual([
      ['chmod', '/a', 0o600, 7],
      ['truncate', '/a', 5, 7],
      ['utimens', '/a', undefined, { sec: 9, nsec: 1 }, 7],
      ['getattr', '/a', 7],
    ])
    // chown is missing from this backend: ENOSYS, as the kernel expects.
    await expect(inodes.setattr!(ctx, ino, { ...unset, valid: SetattrValid.UID, uid: 5 })).rejects.toMatchObject({ code: 'ENOSYS' })
  })

  it('moves nodes with a rename (every path below follows), swaps them with RENAME_EXCHANGE', async () => {
    const { ops, calls } = pathBackend(['/', '/a', '/dir', '/dir/f', '/b'])
    const inodes = bridgePathOperations(ops)
    const dir = await lookup(inodes, ROOT_INO, 'dir')
    const file = await lookup(inodes, dir.ino, 'f')
    await inodes.rename!(ctx, ROOT_INO, 'dir', ROOT_INO, 'moved', 0)
    calls.length = 0
    await Promise.resolve(inodes.getattr(ctx, file.ino)).catch(() => undefined)
    expect(calls[0]).toEqual(['getattr', '/moved/f', undefined])
    const a = await lookup(inodes, ROOT_INO, 'a')
    const b = await lookup(inodes, ROOT_INO, 'b')
    await inodes.rename!(ctx, ROOT_INO, 'a', ROOT_INO, 'b', RenameFlags.EXCHANGE)
    expect((await lookup(inodes, ROOT_INO, 'b')).ino).toBe(a.ino)
    expect((await lookup(inodes, ROOT_INO, 'a')).ino).toBe(b.ino)
  })

  it('reaches an unlinked open file through its handle', async () => {
    const { ops, calls } = pathBackend()
    const inodes = bridgePathOperations(ops)
    const { ino } = await lookup(inodes, ROOT_INO, 'a')
    const fh = (await inodes.open!(ctx, ino, 0)) as number
    await inodes.unlink!(ctx, ROOT_INO, 'a')
    calls.length = 0
    await Promise.resolve(inodes.getattr(ctx, ino)).catch(() => undefined)
    expect(calls).toEqual([['getattr', '/a', fh]])
  })

  it('lists from an offset and makes nodes for entries with stats only as they are drawn', async () => {
    const { ops } = pathBackend()
    const inodes = bridgePathOperations(ops)
    const listing = (await inodes.readdir!(ctx, ROOT_INO, 0, 1, true))[Symbol.iterator]()
    const first = listing.next().value as InodeDirEntry
    expect(first).toMatchObject({ name: 'a', ino: 101, type: 0o100000 })
    expect(first.entry).toBeDefined()
    // The lookup made for 'a' by the listing is the one LOOKUP finds.
    expect((await lookup(inodes, ROOT_INO, 'a')).ino).toBe(first.entry!.ino)
  })

  it('hands the rest of a listing with stats without them from the same entries, making no node, when the kernel goes on without stats', async () => {
    const { ops } = pathBackend(['/', '/a', '/b', '/c'])
    const inodes = bridgePathOperations(ops)
    const listing = await inodes.readdir!(ctx, ROOT_INO, 0, 0, true)
    const rest = [...listing.withoutStats!(2)!]
    expect(rest.map((e) => e.name)).toEqual(['b', 'c'])
    expect(rest.map((e) => e.entry)).toEqual([undefined, undefined])
    expect(rest.map((e) => e.ino)).toEqual([102, 103])
  })

  it('offers the kernel only what the backend can do, so that the kernel keeps its defaults', () => {
    const { ops } = pathBackend()
    const inodes = bridgePathOperations(ops)
    expect(['lookup', 'getattr', 'forget', 'setattr', 'open', 'release', 'rename', 'unlink', 'readdir'].every((n) => n in inodes)).toBe(true)
    expect(['create', 'mkdir', 'getxattr', 'flush', 'fallocate', 'opendir', 'backingFd'].some((n) => n in inodes)).toBe(false)
  })
})

/** An inode backend over a fixed tree, counting lookups held per node. */
function inodeBackend() {
  const tree: Record<number, Record<string, number>> = { [ROOT_INO]: { dir: 2 }, 2: { f: 3 } }
  const held = new Map<number, number>()
  const calls: unknown[][] = []
  const entry = (ino: number): Entry => {
    held.set(ino, (held.get(ino) ?? 0) + 1)
    return { ino, attr: stat(ino, ino === 3 ? 0o100644 : 0o40755) }
  }
  const ops: InodeOperations = {
    async lookup(_ctx, parent, name) {
      const ino = tree[parent]?.[name]
      if (ino === undefined) throw new FsError('ENOENT')
      return entry(ino)
    },
    forget(ino, n) {
      held.set(ino, (held.get(ino) ?? 0) - n)
    },
    async getattr(_ctx, ino, fh) {
      calls.push(['getattr', ino, fh])
      return stat(ino)
    },
    async setattr(_ctx, ino, request) {
      calls.push(['setattr', ino, request.valid, request.fh])
      return stat(ino)
    },
    async open(_ctx, ino) {
      calls.push(['open', ino])
      return 50 + ino
    },
    async release(_ctx, ino, fh) {
      calls.push(['release', ino, fh])
    },
    async mkdir(_ctx, parent, name) {
      tree[parent]![name] = 9
      return entry(9)
    },
  }
  return { ops, held, calls }
}

describe('paths over inodes (inode backends on fuse-native)', () => {
  it('resolves each path by lookups from the root and gives every lookup back when the call is done', async () => {
    const { ops, held, calls } = inodeBackend()
    const paths = pathsOverInodes(ops)
    await paths.getattr(ctx, '/dir/f')
    expect(calls).toEqual([['getattr', 3, undefined]])
    expect([...held.values()].every((n) => n === 0)).toBe(true)
    await expect(paths.getattr(ctx, '/dir/missing')).rejects.toMatchObject({ code: 'ENOENT' })
    expect([...held.values()].every((n) => n === 0)).toBe(true)
  })

  it('keeps an open file’s node (and its lookup) until release, reaching it by handle whatever its path', async () => {
    const { ops, held, calls } = inodeBackend()
    const paths = pathsOverInodes(ops)
    const fh = (await paths.open!(ctx, '/dir/f', 0)) as number
    expect(held.get(3)).toBe(1)
    calls.length = 0
    await paths.truncate!(ctx, '/renamed-away', 0, fh)
    expect(calls).toEqual([['setattr', 3, SetattrValid.SIZE | SetattrValid.FH, fh]])
    await paths.release!(ctx, '/renamed-away', fh)
    expect(held.get(3)).toBe(0)
  })

  it('gives back the lookup of a name it made', async () => {
    const { ops, held } = inodeBackend()
    await pathsOverInodes(ops).mkdir!(ctx, '/dir/new', 0o755)
    expect(held.get(9)).toBe(0)
  })

  it('offers fuse-native only what the backend can do', () => {
    const paths = pathsOverInodes(inodeBackend().ops)
    expect(['getattr', 'open', 'release', 'mkdir', 'truncate', 'chmod', 'utimens'].every((n) => n in paths)).toBe(true)
    expect(['create', 'unlink', 'readdir', 'getxattr', 'fallocate'].some((n) => n in paths)).toBe(false)
  })
})
