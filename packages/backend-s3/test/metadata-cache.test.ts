import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { MetadataCache, parentOf } from '../src/metadata-cache.js'
import { S_IFDIR, S_IFREG, type ObjectAttributes } from '../src/object-metadata.js'

const file = (size: number, sec = 1700000000): ObjectAttributes => ({
  mode: S_IFREG | 0o644,
  uid: 1000,
  gid: 100,
  size,
  mtime: { sec, nsec: 123456789 },
  ctime: { sec: sec + 1, nsec: 0 },
  atime: { sec: sec + 2, nsec: 999999999 },
})

describe('MetadataCache', () => {
  it('keeps attributes and etag until the TTL passes', () => {
    const cache = new MetadataCache({ statTtlMs: 1000 })
    const attrs = file(5_000_000_000)
    cache.setStat('/a/b', attrs, { etag: '"etag"' }, 0)
    expect(cache.getStat('/a/b', 999)).toEqual({ attributes: attrs, etag: '"etag"', linkTarget: undefined, plain: false })
    expect(cache.getStat('/a/b', 1000)).toBeUndefined()
    // The path stays known by its inode number only.
    expect(cache.entries).toBe(1)
    expect(cache.getStat('/never')).toBeUndefined()
  })

  it('keeps negative answers for their own TTL', () => {
    const cache = new MetadataCache({ negativeTtlMs: 100 })
    cache.setMissing('/gone', 0)
    expect(cache.getStat('/gone', 50)).toBeNull()
    expect(cache.getStat('/gone', 100)).toBeUndefined()
    // A stat replaces the negative entry and the other way round.
    cache.setMissing('/x', 0)
    cache.setStat('/x', file(1), {}, 0)
    expect(cache.getStat('/x', 1)!.attributes.size).toBe(1)
    cache.setMissing('/x', 0)
    expect(cache.getStat('/x', 1)).toBeNull()
  })

  it('keeps listings for their TTL', () => {
    const cache = new MetadataCache({ listingTtlMs: 100 })
    cache.setListing('/d', new Set(['a', 'b/']), 0)
    expect(cache.getListing('/d', 99)).toEqual(new Set(['a', 'b/']))
    expect(cache.getListing('/d', 100)).toBeUndefined()
  })

  it('an expired listing stays readable as stale; an expired stat is made fresh once by a listing of the same version', () => {
    const cache = new MetadataCache({ statTtlMs: 100, listingTtlMs: 100 })
    cache.setListing('/d', new Set(['f']), 0)
    expect(cache.getListing('/d', 100)).toBeUndefined()
    expect(cache.staleListing('/d')).toEqual(new Set(['f']))

    cache.setStat('/d/f', file(10), { etag: '"v1"' }, 0)
    expect(cache.revalidate('/d/f', '"v1"', 10, 50)).toBe(false)
    // Expired: another version, or another size, does not bring it back; the same one does.
    expect(cache.revalidate('/d/f', '"v2"', 10, 200)).toBe(false)
    expect(cache.revalidate('/d/f', '"v1"', 11, 200)).toBe(false)
    expect(cache.getStat('/d/f', 200)).toBeUndefined()
    expect(cache.revalidate('/d/f', '"v1"', 10, 200)).toBe(true)
    expect(cache.getStat('/d/f', 250)!.attributes.size).toBe(10)
    // Once only: after the next expiry a real lookup is due.
    expect(cache.getStat('/d/f', 300)).toBeUndefined()
    expect(cache.revalidate('/d/f', '"v1"', 10, 300)).toBe(false)
    // A stat set anew can be revalidated again.
    cache.setStat('/d/f', file(10), { etag: '"v1"' }, 300)
    expect(cache.revalidate('/d/f', '"v1"', 10, 450)).toBe(true)
  })

  it('takes local additions and removals into a cached listing, and ignores them without one', () => {
    const cache = new MetadataCache()
    cache.setListing('/d', new Set(['a']))
    cache.addToListing('/d', 'new')
    cache.addToListing('/d', 'sub/')
    cache.removeFromListing('/d', 'a')
    expect(cache.getListing('/d')).toEqual(new Set(['new', 'sub/']))
    // Subdirectories are counted as they come and go (a directory's link count).
    expect(cache.subdirectoryCount('/d')).toBe(1)
    cache.addToListing('/d', 'other/')
    cache.removeFromListing('/d', 'sub/')
    cache.removeFromListing('/d', 'sub/')
    expect(cache.subdirectoryCount('/d')).toBe(1)
    expect(cache.subdirectoryCount('/unlisted')).toBeUndefined()
    cache.addToListing('/unlisted', 'x')
    expect(cache.getListing('/unlisted')).toBeUndefined()
  })

  it('keeps a path\'s inode number past its TTL and across a move; forgetting the path drops it', () => {
    const cache = new MetadataCache({ statTtlMs: 10 })
    expect(cache.inodeOf('/')).toBe(1)
    const a = cache.inodeOf('/a')
    const b = cache.inodeOf('/b')
    expect(new Set([1, a, b]).size).toBe(3)
    cache.setStat('/a', file(1), { linkTarget: 'target' }, 0)
    expect(cache.getStat('/a', 5)!.linkTarget).toBe('target')
    expect(cache.getStat('/a', 20)).toBeUndefined()
    expect(cache.inodeOf('/a')).toBe(a)
    cache.setStat('/a', file(2), {}, 100)
    cache.move('/a', '/c')
    expect(cache.inodeOf('/c')).toBe(a)
    expect(cache.getStat('/c', 105)!.attributes.size).toBe(2)
    expect(cache.getStat('/a', 105)).toBeUndefined()
    expect(cache.inodeOf('/a')).not.toBe(a)
    // Moving onto a known path replaces it.
    cache.move('/c', '/b')
    expect(cache.inodeOf('/b')).toBe(a)
    cache.forget('/b')
    expect(cache.inodeOf('/b')).not.toBe(a)
  })

  it('invalidate forgets the path\'s stat; invalidateTree also everything beneath', () => {
    const cache = new MetadataCache()
    cache.setStat('/d', { ...file(0), mode: S_IFDIR | 0o755 })
    cache.setStat('/d/f', file(1))
    cache.setStat('/d/sub/g', file(2))
    cache.setStat('/dx', file(3))
    cache.setMissing('/d/new')
    cache.setListing('/', new Set(['d/', 'dx']))
    cache.setListing('/d', new Set(['f', 'sub/']))
    cache.setListing('/d/sub', new Set(['g']))
    cache.invalidate('/d/new')
    expect(cache.getStat('/d/new')).toBeUndefined()
    expect(cache.getListing('/d')).toEqual(new Set(['f', 'sub/']))
    expect(cache.getStat('/d/f')).toBeDefined()
    cache.invalidateTree('/d')
    expect([cache.getStat('/d'), cache.getStat('/d/f'), cache.getStat('/d/sub/g'), cache.getListing('/d'), cache.getListing('/d/sub')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
    expect(cache.getListing('/')).toEqual(new Set(['d/', 'dx']))
    expect(cache.getStat('/dx')!.attributes.size).toBe(3)
    expect(parentOf('/a/b')).toBe('/a')
    expect(parentOf('/a')).toBe('/')
  })

  it('reuses the oldest slots past maxEntries', () => {
    const cache = new MetadataCache({ maxEntries: 3 })
    for (const name of ['/1', '/2', '/3', '/4']) cache.setStat(name, file(Number(name.slice(1))))
    expect(cache.entries).toBe(3)
    expect(cache.getStat('/1')).toBeUndefined()
    expect(cache.getStat('/4')!.attributes.size).toBe(4)
    cache.setStat('/5', file(5))
    expect(cache.getStat('/2')).toBeUndefined()
    expect([3, 4, 5].map((n) => cache.getStat(`/${n}`)!.attributes.size)).toEqual([3, 4, 5])
  })

  it('bounds the names of all listings by maxEntries, dropping the oldest listing', () => {
    const cache = new MetadataCache({ maxEntries: 5 })
    cache.setListing('/a', new Set(['1', '2', '3']))
    cache.setListing('/b', new Set(['1', '2']))
    cache.setListing('/c', new Set(['1']))
    expect(cache.getListing('/a')).toBeUndefined()
    expect(cache.getListing('/b')).toEqual(new Set(['1', '2']))
    expect(cache.getListing('/c')).toEqual(new Set(['1']))
  })

  it('holds 200,000 stats in under 250 bytes each, path strings included', () => {
    // Measured after a full collection, so that only what the cache holds counts.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    gc()
    const before = process.memoryUsage()
    const cache = new MetadataCache({ maxEntries: 200_000 })
    // Paths decoded from a buffer, flat, as the drivers hand them over (a template literal would
    // make rope strings, larger than what a mount holds).
    for (let i = 0; i < 200_000; i++) cache.setStat(Buffer.from(`/dir${i % 1000}/file-${i}.txt`).toString(), file(i))
    gc()
    gc()
    const after = process.memoryUsage()
    const perEntry = (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 200_000
    expect(cache.entries).toBe(200_000)
    expect(cache.getStat('/dir7/file-1007.txt')!.attributes.size).toBe(1007)
    expect(perEntry).toBeLessThan(250)
    console.log(`${Math.round(perEntry)} bytes per cached stat`)
  })
})
