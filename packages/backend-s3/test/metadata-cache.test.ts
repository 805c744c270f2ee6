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
    cache.setStat('/a/b', attrs, '"etag"', 0)
    expect(cache.getStat('/a/b', 999)).toEqual({ attributes: attrs, etag: '"etag"' })
    expect(cache.getStat('/a/b', 1000)).toBeUndefined()
    expect(cache.entries).toBe(0)
    expect(cache.getStat('/never')).toBeUndefined()
  })

  it('keeps negative answers for their own TTL', () => {
    const cache = new MetadataCache({ negativeTtlMs: 100 })
    cache.setMissing('/gone', 0)
    expect(cache.getStat('/gone', 50)).toBeNull()
    expect(cache.getStat('/gone', 100)).toBeUndefined()
    // A stat replaces the negative entry and the other way round.
    cache.setMissing('/x', 0)
    cache.setStat('/x', file(1), undefined, 0)
    expect(cache.getStat('/x', 1)!.attributes.size).toBe(1)
    cache.setMissing('/x', 0)
    expect(cache.getStat('/x', 1)).toBeNull()
  })

  it('keeps listings for their TTL', () => {
    const cache = new MetadataCache({ listingTtlMs: 100 })
    cache.setListing('/d', ['a', 'b'], 0)
    expect(cache.getListing('/d', 99)).toEqual(['a', 'b'])
    expect(cache.getListing('/d', 100)).toBeUndefined()
  })

  it('a change forgets the path, its listing and its parent listing; a tree change everything beneath', () => {
    const cache = new MetadataCache()
    cache.setStat('/d', { ...file(0), mode: S_IFDIR | 0o755 })
    cache.setStat('/d/f', file(1))
    cache.setStat('/d/sub/g', file(2))
    cache.setStat('/dx', file(3))
    cache.setMissing('/d/new')
    cache.setListing('/', ['d', 'dx'])
    cache.setListing('/d', ['f', 'sub'])
    cache.setListing('/d/sub', ['g'])
    cache.invalidate('/d/new')
    expect(cache.getStat('/d/new')).toBeUndefined()
    expect(cache.getListing('/d')).toBeUndefined()
    expect(cache.getListing('/')).toEqual(['d', 'dx'])
    expect(cache.getStat('/d/f')).toBeDefined()
    cache.invalidateTree('/d')
    expect([cache.getStat('/d'), cache.getStat('/d/f'), cache.getStat('/d/sub/g'), cache.getListing('/d/sub'), cache.getListing('/')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
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
    cache.setListing('/a', ['1', '2', '3'])
    cache.setListing('/b', ['1', '2'])
    cache.setListing('/c', ['1'])
    expect(cache.getListing('/a')).toBeUndefined()
    expect(cache.getListing('/b')).toEqual(['1', '2'])
    expect(cache.getListing('/c')).toEqual(['1'])
  })

  it('holds 200,000 stats in under 250 bytes each, path strings included', () => {
    // Measured after a full collection, so that only what the cache holds counts.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    gc()
    gc()
    const before = process.memoryUsage()
    const cache = new MetadataCache()
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
