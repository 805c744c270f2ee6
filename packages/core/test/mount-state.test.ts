import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { connectionId } from '../src/fuse-connections.js'
import { assertMountable, mountState } from '../src/mount-state.js'

describe('assertMountable', () => {
  it('accepts an empty directory that nothing is mounted on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-mp-'))
    await expect(assertMountable(dir)).resolves.toBeUndefined()
    expect(await mountState(dir)).toBe('unmounted')
  })

  it.each([
    ['a missing path', async (dir: string) => join(dir, 'missing'), 'ENOENT', /does not exist: create it/],
    ['a file', async (dir: string) => { await writeFile(join(dir, 'f'), ''); return join(dir, 'f') }, 'ENOTDIR', /is not a directory/],
    ['a non-empty directory', async (dir: string) => { await writeFile(join(dir, 'f'), ''); return dir }, 'ENOTEMPTY', /-o nonempty/],
    ['a directory with a live mount', async () => '/proc', 'EBUSY', /already mounted/],
  ])('refuses %s', async (_, prepare, code, message) => {
    const path = await prepare(await mkdtemp(join(tmpdir(), 'fusekit-mp-')))
    await expect(assertMountable(path)).rejects.toMatchObject({ code, message: expect.stringMatching(message) })
  })

  it('accepts a non-empty directory with -o nonempty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fusekit-mp-'))
    await writeFile(join(dir, 'f'), '')
    await expect(assertMountable(dir, ['nonempty'])).resolves.toBeUndefined()
  })
})

describe('connectionId', () => {
  it('names a connection as fusectl does: the device number as the kernel keeps it (major << 20 | minor)', () => {
    expect(connectionId('0:41')).toBe(41)
    expect(connectionId('0:1234')).toBe(1234)
    expect(connectionId('8:1')).toBe(8 * 2 ** 20 + 1)
  })

  it('refuses what is not major:minor', () => {
    expect(() => connectionId('41')).toThrow(/not a device number/)
    expect(() => connectionId('0:x')).toThrow(/not a device number/)
  })
})
