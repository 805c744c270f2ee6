import { FileType, ListingReader, ROOT_INO, type InodeDirEntry, type InodeListing, orThrow } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { ENCODED_FROM } from '../src/inode.js'
import { expectFsError, me, memoryFs } from './unit-helpers.js'

async function dirWith(count: number) {
  const fs = memoryFs()
  const dir = await fs.mkdir(me, ROOT_INO, 'd', 0o755)
  // The kernel forgets what it does not hold: only the listing's own lookups count below.
  for (let i = 0; i < count; i++) fs.forget((await fs.mknod(me, dir.ino, `f${i}`, FileType.S_IFREG | 0o644, 0)).ino, 1)
  return { fs, dir: dir.ino }
}

const namesOf = (entries: Iterable<InodeDirEntry>) => [...entries].map((e) => e.name)

describe('readdir', () => {
  it('lists ".", ".." and the entries in creation order, with their inode numbers and types', async () => {
    const { fs, dir } = await dirWith(2)
    await fs.symlink(me, 't', dir, 'l')
    const entries = [...(await fs.readdir(me, dir, 0, 0, false))]
    expect(entries).toEqual([
      { name: '.', ino: dir, type: FileType.S_IFDIR },
      { name: '..', ino: ROOT_INO, type: FileType.S_IFDIR },
      { name: 'f0', ino: orThrow(fs.lookup(me, dir, 'f0')).ino, type: FileType.S_IFREG },
      { name: 'f1', ino: orThrow(fs.lookup(me, dir, 'f1')).ino, type: FileType.S_IFREG },
      { name: 'l', ino: orThrow(fs.lookup(me, dir, 'l')).ino, type: FileType.S_IFLNK },
    ])
  })

  it('starts at an offset: the number of entries already read, "." and ".." included', async () => {
    const { fs, dir } = await dirWith(3)
    const all = namesOf(await fs.readdir(me, dir, 0, 0, false))
    for (let offset = 0; offset <= all.length + 1; offset++) {
      expect(namesOf(await fs.readdir(me, dir, 0, offset, false))).toEqual(all.slice(offset))
    }
  })

  it('is continued from the same iterator: entries removed before they are drawn do not show, new ones do, none twice', async () => {
    const { fs, dir } = await dirWith(4)
    const iterator = (await fs.readdir(me, dir, 0, 0, false))[Symbol.iterator]()
    const drawn = [iterator.next(), iterator.next(), iterator.next()].map((step) => (step.value as InodeDirEntry).name)
    expect(drawn).toEqual(['.', '..', 'f0'])
    await fs.unlink(me, dir, 'f0')
    await fs.unlink(me, dir, 'f2')
    await fs.mknod(me, dir, 'new', FileType.S_IFREG | 0o644, 0)
    const rest: string[] = []
    for (let step = iterator.next(); !step.done; step = iterator.next()) rest.push(step.value.name)
    expect(rest).toEqual(['f1', 'f3', 'new'])
  })

  it('hands out an Entry per name with stats, each counting a lookup when drawn, none for "." and ".."', async () => {
    const { fs, dir } = await dirWith(2)
    const iterator = (await fs.readdir(me, dir, 0, 0, true))[Symbol.iterator]()
    const [dot, dotdot, first] = [iterator.next().value, iterator.next().value, iterator.next().value] as InodeDirEntry[]
    expect(dot!.entry).toBeUndefined()
    expect(dotdot!.entry).toBeUndefined()
    expect(first!.entry).toMatchObject({ ino: first!.ino, attr: { ino: first!.ino, mode: FileType.S_IFREG | 0o644, nlink: 1 } })
    // f0 was drawn: its lookup keeps it after its name is gone; f1 was not.
    const second = orThrow(fs.lookup(me, dir, 'f1'))
    fs.forget(second.ino, 1)
    await fs.unlink(me, dir, 'f0')
    await fs.unlink(me, dir, 'f1')
    expect((await fs.getattr(me, first!.ino)).nlink).toBe(0)
    await expectFsError(() => fs.getattr(me, second.ino), 'ENOENT')
    fs.forget(first!.ino, 1)
    await expectFsError(() => fs.getattr(me, first!.ino), 'ENOENT')
  })

  it('lists 100,000 entries read in kernel-sized pieces in linear time', async () => {
    const fs = memoryFs('256M')
    const dir = await fs.mkdir(me, ROOT_INO, 'big', 0o755)
    const count = 100_000
    for (let i = 0; i < count; i++) await fs.mknod(me, dir.ino, `entry-${i}`, FileType.S_IFREG | 0o644, 0)
    // A 4 KiB READDIR buffer holds about 100 such entries: the driver draws that many, then continues.
    const started = performance.now()
    const iterator = (await fs.readdir(me, dir.ino, 0, 0, false))[Symbol.iterator]()
    let listed = 0
    for (let done = false; !done; ) {
      for (let i = 0; i < 100; i++) {
        if (iterator.next().done) {
          done = true
          break
        }
        listed++
      }
    }
    expect(listed).toBe(count + 2)
    // Linear: well under a second (a restart per piece would skip 5e9 entries in all).
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('answers a large directory without stats from its names held as READDIR bytes, kept in step with adds, removals and moves', async () => {
    const { fs, dir } = await dirWith(ENCODED_FROM + 10)
    const names = Array.from({ length: ENCODED_FROM + 10 }, (_, i) => `f${i}`)
    const listed = async (offset = 0) => {
      const entries = await fs.readdir(me, dir, 0, offset, false)
      return { encoded: entries instanceof ListingReader, names: namesOf(entries) }
    }
    expect(await listed()).toEqual({ encoded: true, names: ['.', '..', ...names] })
    expect(await listed(40)).toEqual({ encoded: true, names: ['.', '..', ...names].slice(40) })
    // With stats each entry counts a lookup: never from the bytes.
    expect((await fs.readdir(me, dir, 0, 0, true)) instanceof ListingReader).toBe(false)

    await fs.mknod(me, dir, 'added', FileType.S_IFREG | 0o644, 0)
    await fs.symlink(me, 'target', dir, 'link')
    expect(await listed()).toEqual({ encoded: true, names: ['.', '..', ...names, 'added', 'link'] })

    // A removal: listed from the names themselves, and that whole listing is kept for the next.
    await fs.unlink(me, dir, 'f3')
    await fs.rename(me, dir, 'f4', dir, 'f4-renamed', 0)
    const after = ['.', '..', ...names.filter((n) => n !== 'f3' && n !== 'f4'), 'added', 'link', 'f4-renamed']
    expect(await listed()).toEqual({ encoded: false, names: after })
    expect(await listed()).toEqual({ encoded: true, names: after })
    const entries = [...(await fs.readdir(me, dir, 0, 0, false))]
    expect(entries.find((e) => e.name === 'link')).toEqual({ name: 'link', ino: orThrow(fs.lookup(me, dir, 'link')).ino, type: FileType.S_IFLNK })

    // A listing read only in part keeps nothing; one during which a name goes keeps the names as they are at its end.
    await fs.unlink(me, dir, 'f5')
    ;(await fs.readdir(me, dir, 0, 0, false))[Symbol.iterator]().next()
    expect((await listed()).encoded).toBe(false)
    await fs.unlink(me, dir, 'f6')
    const iterator = (await fs.readdir(me, dir, 0, 0, false))[Symbol.iterator]()
    iterator.next()
    await fs.unlink(me, dir, 'f7')
    while (!iterator.next().done);
    const now = await listed()
    expect(now.encoded).toBe(true)
    expect(now.names).not.toContain('f7')
    expect(now.names).toContain('f8')
  })

  it('hands the rest of a listing with stats from its held bytes when the kernel goes on without them, unless a name went since', async () => {
    const { fs, dir } = await dirWith(ENCODED_FROM + 10)
    const all = ['.', '..', ...Array.from({ length: ENCODED_FROM + 10 }, (_, i) => `f${i}`)]
    const withStats = (await fs.readdir(me, dir, 0, 0, true)) as InodeListing
    const rest = withStats.withoutStats?.(20)
    expect(rest).toBeInstanceOf(ListingReader)
    expect(namesOf(rest!)).toEqual(all.slice(20))
    // Names added since are appended, in the same order: still the held bytes.
    await fs.mknod(me, dir, 'added', FileType.S_IFREG | 0o644, 0)
    expect(namesOf(withStats.withoutStats!(all.length)!)).toEqual(['added'])
    // A removal since the listing began: its own iterator goes on (the count of entries no longer matches the bytes).
    await fs.unlink(me, dir, 'f1')
    expect(withStats.withoutStats!(20)).toBeUndefined()
  })

  it('names the new parent in ".." of a large directory moved elsewhere', async () => {
    const { fs, dir } = await dirWith(ENCODED_FROM)
    const other = await fs.mkdir(me, ROOT_INO, 'other', 0o755)
    await fs.rename(me, ROOT_INO, 'd', other.ino, 'moved', 0)
    const entries = await fs.readdir(me, dir, 0, 0, false)
    expect(entries instanceof ListingReader).toBe(true)
    expect([...entries].slice(0, 2)).toEqual([
      { name: '.', ino: dir, type: FileType.S_IFDIR },
      { name: '..', ino: other.ino, type: FileType.S_IFDIR },
    ])
  })

  it('answers ENOTDIR for a file', async () => {
    const { fs, dir } = await dirWith(1)
    const file = orThrow(fs.lookup(me, dir, 'f0'))
    await expectFsError(() => fs.readdir(me, file.ino, 0, 0, false), 'ENOTDIR')
  })
})
