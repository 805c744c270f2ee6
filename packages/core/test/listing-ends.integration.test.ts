import { execFile } from 'node:child_process'
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixture, type FixtureServer } from './fixture-server.js'

const run = promisify(execFile)
const getdents = join(import.meta.dirname, 'fixtures', 'getdents.py')

/** The listings fixture mounted for the tests of one describe, with `args`. */
function listingsMount(args: string[]) {
  let server: FixtureServer
  let tags = 0
  let directories = 0
  beforeAll(async () => {
    server = await startFixture('serve-listings.mjs', args)
  })
  afterAll(() => server.stop())
  return {
    /** A directory nobody listed yet (a, b and c in it): the kernel has no listing of it cached. */
    newDirectory: () => `d${directories++}`,
    /** readdir(3) of `dir` from this process. */
    list: async (dir: string) => (await readdir(join(server.dir, dir))).sort(),
    /** The offsets the listing of `dir` was asked for so far. */
    async asked(dir: string): Promise<number[]> {
      const tag = `t${tags++}`
      await expect(mkdir(join(server.dir, `count-${tag}-${dir}`))).rejects.toMatchObject({ code: 'EEXIST' })
      const [, offsets] = await server.printed(new RegExp(`listings ${tag} ([\\d,]*)\\n`))
      return offsets === '' ? [] : offsets!.split(',').map(Number)
    },
    /** getdents64 calls on one descriptor of `dir` from another process, with creates between them: what each returned. */
    async listInSteps(dir: string, ...steps: string[]): Promise<string[]> {
      const { stdout } = await run('python3', [getdents, join(server.dir, dir), ...steps])
      return stdout.trim().split('\n')
    },
  }
}

describe('the READDIR that finds a listing’s end, answered by the low-level driver: directories opened without OPENDIR (after 64 small listings)', () => {
  const mount = listingsMount([])
  beforeAll(async () => {
    // Until then each directory is opened with OPENDIR (with it, the first test would see [0]).
    for (let i = 0; i < 64; i++) await mount.list(mount.newDirectory())
  })

  it('lists a directory whole, its backend asked once: the getdents that finds the end is answered without it', async () => {
    const dir = mount.newDirectory()
    expect(await mount.list(dir)).toEqual(['a', 'b', 'c'])
    expect(await mount.asked(dir)).toEqual([0])
  })

  it('answers the first getdents past the end; the session let the listing go, so the next asks the backend from there', async () => {
    const dir = mount.newDirectory()
    expect(await mount.listInSteps(dir, 'read', 'read', 'read')).toEqual(['a,b,c', 'end', 'end'])
    expect(await mount.asked(dir)).toEqual([0, 3])
  })

  it('shows a file created through the mount after the listing’s last entry was read at the next getdents', async () => {
    const dir = mount.newDirectory()
    expect(await mount.listInSteps(dir, 'read', 'create d', 'read', 'read')).toEqual(['a,b,c', 'd', 'end'])
    expect(await mount.asked(dir)).toEqual([0, 3])
  })
})

describe('the READDIR that finds a listing’s end, answered by the low-level driver: directories opened with OPENDIR', () => {
  const mount = listingsMount(['--opendir'])

  it('lists a directory whole, its backend asked once', async () => {
    const dir = mount.newDirectory()
    expect(await mount.list(dir)).toEqual(['a', 'b', 'c'])
    expect(await mount.asked(dir)).toEqual([0])
  })

  it('answers every getdents past the end without the backend: the session keeps the listing until RELEASEDIR', async () => {
    const dir = mount.newDirectory()
    expect(await mount.listInSteps(dir, 'read', 'read', 'read')).toEqual(['a,b,c', 'end', 'end'])
    expect(await mount.asked(dir)).toEqual([0])
  })
})

describe('a whole listing read again, answered by the low-level driver: entries and attributes cached for a second', () => {
  const mount = listingsMount(['--cached'])

  it('answers the listing of a directory a first pass stopped reading before its end (rm -rf) without the backend', async () => {
    const dir = mount.newDirectory()
    expect(await mount.listInSteps(dir, 'read', 'reopen', 'read', 'read', 'reopen', 'read')).toEqual(['a,b,c', 'a,b,c', 'end', 'a,b,c'])
    expect(await mount.asked(dir)).toEqual([0])
  })

  it('asks the backend again once an entry was made in the directory through the mount', async () => {
    const dir = mount.newDirectory()
    expect(await mount.listInSteps(dir, 'read', 'reopen', 'create d', 'read', 'read')).toEqual(['a,b,c', 'a,b,c,d', 'end'])
    expect(await mount.asked(dir)).toEqual([0, 0])
  })

  it('asks the backend again half a second after the listing: a change made elsewhere shows then', async () => {
    const dir = mount.newDirectory()
    expect(await mount.listInSteps(dir, 'read', 'sleep 600', 'reopen', 'read', 'read')).toEqual(['a,b,c', 'a,b,c', 'end'])
    expect(await mount.asked(dir)).toEqual([0, 0])
  })
})
