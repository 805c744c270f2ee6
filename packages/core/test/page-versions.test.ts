import { describe, expect, it } from 'vitest'
import { PageVersions } from '../src/lowlevel/page-versions.js'
import type { Stat } from '../src/types.js'

const stat = (size: number, sec: number, nsec = 0): Stat => ({
  ino: 2,
  mode: 0o100644,
  nlink: 1,
  uid: 0,
  gid: 0,
  rdev: 0,
  size,
  blksize: 4096,
  blocks: 0,
  atime: { sec: 0, nsec: 0 },
  mtime: { sec, nsec },
  ctime: { sec, nsec },
})

describe('PageVersions', () => {
  it('keeps the pages of a node opened again unchanged, not at its first open', () => {
    const versions = new PageVersions()
    expect(versions.unchangedSinceLastOpen(2, stat(10, 100))).toBe(false)
    expect(versions.unchangedSinceLastOpen(2, stat(10, 100))).toBe(true)
    expect(versions.unchangedSinceLastOpen(3, stat(10, 100))).toBe(false)
  })

  it.each([
    ['size', stat(11, 100, 5)],
    ['mtime seconds', stat(10, 101, 5)],
    ['mtime nanoseconds', stat(10, 100, 6)],
  ])('drops them when the %s changed', (_, changed) => {
    const versions = new PageVersions()
    versions.unchangedSinceLastOpen(2, stat(10, 100, 5))
    expect(versions.unchangedSinceLastOpen(2, changed)).toBe(false)
    expect(versions.unchangedSinceLastOpen(2, changed)).toBe(true)
  })

  it('counts the version at create as the last open', () => {
    const versions = new PageVersions()
    versions.created(7, stat(0, 100))
    expect(versions.unchangedSinceLastOpen(7, stat(0, 100))).toBe(true)
    versions.created(7, stat(0, 200))
    expect(versions.unchangedSinceLastOpen(7, stat(0, 100))).toBe(false)
  })

  it('past its capacity forgets the least recently opened node, and only that one', () => {
    const versions = new PageVersions(3)
    for (const id of [1, 2, 3]) versions.created(id, stat(id, 100))
    // 1 is used again, so 2 is now the least recently opened.
    expect(versions.unchangedSinceLastOpen(1, stat(1, 100))).toBe(true)
    versions.created(4, stat(4, 100))
    expect(versions.unchangedSinceLastOpen(2, stat(2, 100))).toBe(false)
    // Recording 2 again dropped 3 (and 3 then dropped 1); 4 and 2 keep their versions in reused slots.
    expect(versions.unchangedSinceLastOpen(3, stat(3, 100))).toBe(false)
    expect(versions.unchangedSinceLastOpen(4, stat(4, 100))).toBe(true)
    expect(versions.unchangedSinceLastOpen(2, stat(2, 100))).toBe(true)
  })

  it('keeps every version while it grows past its first slots', () => {
    const versions = new PageVersions()
    for (let id = 1; id <= 5000; id++) versions.created(id, stat(id, id, id))
    for (let id = 1; id <= 5000; id++) expect(versions.unchangedSinceLastOpen(id, stat(id, id, id))).toBe(true)
  })
})
