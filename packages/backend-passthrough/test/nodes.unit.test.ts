import { linkSync, lstatSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FileType, OpenFlags, ROOT_INO, SetattrValid, Timespec, orThrow } from '@fusekit/core'
import { describe, expect, it, vi } from 'vitest'
import { calls } from '../src/source-calls.js'
import { asRoot, expectFsError, passthrough, sandbox } from './helpers.js'

/** Descriptors this process holds open. */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length
}

describe('one node per source inode', () => {
  it('every name of a hard-linked file is the same node, showing the source st_ino', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'a'), 'shared')
    linkSync(join(box.source, 'a'), join(box.source, 'b'))
    const ops = await passthrough(box)
    const a = orThrow(ops.lookup(asRoot, ROOT_INO, 'a'))
    const b = orThrow(ops.lookup(asRoot, ROOT_INO, 'b'))
    expect(b.ino).toBe(a.ino)
    expect(a.attr).toMatchObject({ ino: lstatSync(join(box.source, 'a')).ino, nlink: 2 })
    const c = await ops.link(asRoot, a.ino, ROOT_INO, 'c')
    expect(c.ino).toBe(a.ino)
    expect(c.attr.nlink).toBe(3)
  })

  it('node ids are the backend’s own: the root is ROOT_INO, the others are counted from there and never reused', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    expect((await ops.getattr(asRoot, ROOT_INO)).ino).toBe(lstatSync(box.source).ino)
    const first = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
    ops.forget(first.ino, 1)
    const again = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
    expect(again.ino).not.toBe(first.ino)
    expect(again.ino).toBeGreaterThan(ROOT_INO)
    expect(again.attr.ino).toBe(first.attr.ino)
  })
})

describe('lookups and forget', () => {
  it('hold one descriptor per node, closed when the kernel has forgotten every lookup', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    linkSync(join(box.source, 'file'), join(box.source, 'alias'))
    const ops = await passthrough(box)
    const before = openDescriptors()
    const { ino } = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
    orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
    orThrow(ops.lookup(asRoot, ROOT_INO, 'alias'))
    expect(openDescriptors()).toBe(before + 1)
    ops.forget(ino, 2)
    expect((await ops.getattr(asRoot, ino)).size).toBe(1)
    ops.forget(ino, 1)
    expect(openDescriptors()).toBe(before)
    await expectFsError(() => ops.getattr(asRoot, ino), 'ESTALE')
  })

  it('a name looked up again is stat-ed, not opened, while it leads to its node; a name now leading elsewhere is opened', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const ops = await passthrough(box)
    const opened = vi.spyOn(calls, 'lookupAt')
    try {
      const first = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
      const again = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
      expect([again.ino, again.attr.ino, opened.mock.calls.length]).toEqual([first.ino, first.attr.ino, 1])
      // Replaced in the source behind the mount's back: another inode, another node.
      writeFileSync(join(box.source, 'other'), 'y')
      renameSync(join(box.source, 'other'), join(box.source, 'file'))
      const replaced = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
      expect(replaced.ino).not.toBe(first.ino)
      expect(replaced.attr.ino).toBe(lstatSync(join(box.source, 'file')).ino)
      expect(opened.mock.calls.length).toBe(2)
      // Both lookups of the first node count: it goes with the second forget only.
      ops.forget(first.ino, 1)
      expect((await ops.getattr(asRoot, first.ino)).ino).toBe(first.attr.ino)
      ops.forget(first.ino, 1)
      await expectFsError(() => ops.getattr(asRoot, first.ino), 'ESTALE')
    } finally {
      opened.mockRestore()
    }
  })

  it('every call that makes a name counts a lookup of its node', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const before = openDescriptors()
    const made = [
      await ops.mkdir(asRoot, ROOT_INO, 'dir', 0o755),
      await ops.mknod(asRoot, ROOT_INO, 'fifo', FileType.S_IFIFO | 0o644, 0),
      await ops.symlink(asRoot, 'dir', ROOT_INO, 'link'),
    ]
    const created = await ops.create(asRoot, ROOT_INO, 'file', 0o644, OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    await ops.release(asRoot, created.ino, created.fh)
    const linked = await ops.link(asRoot, created.ino, ROOT_INO, 'hard')
    expect(openDescriptors()).toBe(before + 4)
    for (const { ino } of [...made, created, linked]) ops.forget(ino, 1)
    expect(openDescriptors()).toBe(before)
  })

  it('READDIRPLUS entries count a lookup each, as they are yielded, and hold no descriptor until a call needs one', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    for (const name of ['a', 'b', 'c']) writeFileSync(join(box.source, 'dir', name), name)
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const before = openDescriptors()
    const listing = (await ops.readdir(asRoot, dir.ino, 0, 0, true))[Symbol.iterator]()
    const drawn = new Map<string, number>()
    for (let step = listing.next(); !step.done; step = listing.next()) {
      if (step.value.entry) drawn.set(step.value.name, step.value.entry.ino)
      // The listing's own descriptor only: an entry is a stat of its name.
      expect(openDescriptors()).toBeLessThanOrEqual(before + 1)
    }
    expect([...drawn.keys()].sort()).toEqual(['a', 'b', 'c'])
    expect(openDescriptors()).toBe(before)
    // A call opens the node by its name; a name replaced behind the mount meanwhile leads elsewhere.
    expect((await ops.getattr(asRoot, drawn.get('a')!)).size).toBe(1)
    expect(openDescriptors()).toBe(before + 1)
    writeFileSync(join(box.source, 'other'), 'other')
    renameSync(join(box.source, 'other'), join(box.source, 'dir', 'b'))
    await expectFsError(() => ops.getattr(asRoot, drawn.get('b')!), 'ESTALE')
    for (const ino of drawn.values()) ops.forget(ino, 1)
    expect(openDescriptors()).toBe(before)
  })

  it('a listing read on after its directory node is gone answers ESTALE', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'dir/file'), 'x')
    const ops = await passthrough(box)
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    // A plain listing: no node found in the directory keeps it.
    const listing = (await ops.readdir(asRoot, dir.ino, 0, 0, false))[Symbol.iterator]()
    listing.next()
    ops.forget(dir.ino, 1)
    expect(() => listing.next()).toThrow(expect.objectContaining({ code: 'ESTALE' }))
  })

  it('a directory the kernel forgot stays while a node found in it lives (it is what reopens that node), and goes with it', async () => {
    const box = sandbox()
    mkdirSync(join(box.source, 'dir'))
    writeFileSync(join(box.source, 'dir/file'), 'x')
    const ops = await passthrough(box)
    const before = openDescriptors()
    const dir = orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))
    const file = orThrow(ops.lookup(asRoot, dir.ino, 'file'))
    ops.forget(dir.ino, 1)
    expect(openDescriptors()).toBe(before + 2)
    // Found again, it is the same node.
    expect((orThrow(ops.lookup(asRoot, ROOT_INO, 'dir'))).ino).toBe(dir.ino)
    ops.forget(dir.ino, 1)
    ops.forget(file.ino, 1)
    expect(openDescriptors()).toBe(before)
    await expectFsError(() => ops.getattr(asRoot, dir.ino), 'ESTALE')
  })

  it('forgetting the root changes nothing, and destroy closes every descriptor', async () => {
    const box = sandbox()
    writeFileSync(join(box.source, 'file'), 'x')
    const before = openDescriptors()
    const ops = await passthrough(box)
    ops.forget(ROOT_INO, 1)
    const file = orThrow(ops.lookup(asRoot, ROOT_INO, 'file'))
    const fh = await ops.open(asRoot, file.ino, OpenFlags.O_RDONLY)
    await ops.readdir(asRoot, ROOT_INO, 0, 0, false)
    await ops.destroy()
    expect(openDescriptors()).toBe(before)
    expect(fh).toBeGreaterThan(0)
  })
})

describe('no path is ever rebuilt', () => {
  it('creates, chmods, renames and unlinks 4,000 bytes deep, where the source path in front would pass PATH_MAX', async () => {
    const box = sandbox()
    const ops = await passthrough(box)
    const component = 'd'.repeat(202)
    const dirs = [ROOT_INO]
    for (let depth = 0; depth < 20; depth++) dirs.push((await ops.mkdir(asRoot, dirs.at(-1)!, component, 0o755)).ino)
    const deepest = dirs.at(-1)!
    // 4,065 bytes below the mountpoint (a path a short mountpoint can still name); with the
    // source's own path in front, past PATH_MAX.
    expect(box.source.length + 20 * (component.length + 1) + '/file'.length).toBeGreaterThan(4096)
    try {
      const created = await ops.create(asRoot, deepest, 'file', 0o600, OpenFlags.O_RDWR | OpenFlags.O_CREAT)
      await ops.write(asRoot, created.ino, created.fh, Buffer.from('deep'), 0)
      await ops.release(asRoot, created.ino, created.fh)
      const t = Timespec.fromMillis(0)
      const changed = await ops.setattr(asRoot, created.ino, { valid: SetattrValid.MODE, mode: 0o640, uid: 0, gid: 0, size: 0, atime: t, mtime: t, ctime: t })
      expect(changed.mode).toBe(FileType.S_IFREG | 0o640)
      await ops.rename(asRoot, deepest, 'file', deepest, 'renamed', 0)
      expect((orThrow(ops.lookup(asRoot, deepest, 'renamed'))).attr).toMatchObject({ size: 4, mode: FileType.S_IFREG | 0o640 })
      await ops.unlink(asRoot, deepest, 'renamed')
      await expectFsError(() => ops.lookup(asRoot, deepest, 'renamed'), 'ENOENT')
    } finally {
      // Node's own rm cannot name anything this deep: removed bottom-up through the nodes.
      for (let depth = dirs.length - 1; depth > 0; depth--) await ops.rmdir(asRoot, dirs[depth - 1]!, component)
    }
  })
})
