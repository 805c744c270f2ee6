import { lstatSync } from 'node:fs'
import { mkdir, mkdtemp, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFixture, type FixtureServer } from './fixture-server.js'

let server: FixtureServer
let source: string
let tags = 0

/** What the fixture's backend heard so far: names the driver removed (as `parent:name`), and names its own unlink and rmdir were asked to remove. */
async function removals(): Promise<{ heard: string[]; backend: string[] }> {
  const tag = `t${tags++}`
  await expect(mkdir(join(server.dir, `count-${tag}`))).rejects.toMatchObject({ code: 'EEXIST' })
  const [, heard, backend] = await server.printed(new RegExp(`removals ${tag} heard=(\\S*) backend=(\\S*)\\n`))
  const list = (names: string | undefined) => (names ? names.split(',') : [])
  return { heard: list(heard), backend: list(backend) }
}

const exists = (path: string) => stat(path).then(() => true, () => false)

beforeAll(async () => {
  source = await mkdtemp(join(tmpdir(), 'fusekit-removals-'))
  server = await startFixture('serve-removals.mjs', [source])
})

afterAll(async () => {
  await server.stop()
  await rm(source, { recursive: true, force: true })
})

describe('DirectoryRemovals: names in a directory the backend offered, removed by the low-level driver', () => {
  it('removes a file and an empty directory with unlinkat in the driver, the backend told of each before its next request', async () => {
    await writeFile(join(source, 'a'), 'a')
    await mkdir(join(source, 'empty'))
    await unlink(join(server.dir, 'a'))
    await rmdir(join(server.dir, 'empty'))
    expect(await exists(join(source, 'a'))).toBe(false)
    expect(await exists(join(source, 'empty'))).toBe(false)
    expect(await removals()).toEqual({ heard: ['1:a', '1:empty'], backend: [] })
  })

  it('answers the errno of unlinkat, telling the backend nothing: ENOTEMPTY, and ENOENT for a name gone from the source since its lookup', async () => {
    await mkdir(join(source, 'full'))
    await writeFile(join(source, 'full', 'inside'), '')
    await writeFile(join(source, 'b'), 'b')
    await expect(rmdir(join(server.dir, 'full'))).rejects.toMatchObject({ code: 'ENOTEMPTY' })
    await stat(join(server.dir, 'b')) // the kernel keeps the entry (60 s)
    await unlink(join(source, 'b'))
    await expect(unlink(join(server.dir, 'b'))).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await exists(join(source, 'full', 'inside'))).toBe(true)
    expect(await removals()).toEqual({ heard: ['1:a', '1:empty'], backend: [] })
  })

  it('leaves a name that is not ASCII to the backend', async () => {
    await writeFile(join(source, 'café'), '')
    await unlink(join(server.dir, 'café'))
    expect(await exists(join(source, 'café'))).toBe(false)
    expect(await removals()).toEqual({ heard: ['1:a', '1:empty'], backend: ['café'] })
  })

  it('answers the GETATTR of an offered directory once shown a view: fstat of its descriptor, its owner, group and mode through the view', async () => {
    await writeFile(join(source, 'd'), '')
    // The backend's own getattr: times 0 (the mount's attribute timeout is 0: every stat asks).
    expect((await stat(server.dir)).mtimeMs).toBe(0)
    await expect(mkdir(join(server.dir, 'show-x'))).rejects.toMatchObject({ code: 'EEXIST' })
    await server.printed(/shown x\n/)
    const shown = await stat(server.dir)
    const real = lstatSync(source)
    expect(shown).toMatchObject({ ino: real.ino, mtimeMs: real.mtimeMs, nlink: real.nlink, size: real.size, uid: 4242, gid: 4343, mode: real.mode & ~0o027 })
    // A name in it is not the directory: the backend's.
    expect((await stat(join(server.dir, 'd'))).mtimeMs).toBe(0)
  })

  it('leaves names in a withdrawn directory to the backend, and its GETATTR', async () => {
    await expect(mkdir(join(server.dir, 'withdraw-x'))).rejects.toMatchObject({ code: 'EEXIST' })
    await server.printed(/withdrawn x\n/)
    expect((await stat(server.dir)).mtimeMs).toBe(0)
    await writeFile(join(source, 'c'), 'c')
    await unlink(join(server.dir, 'c'))
    expect(await exists(join(source, 'c'))).toBe(false)
    expect(await removals()).toEqual({ heard: ['1:a', '1:empty'], backend: ['café', 'c'] })
  })
})
