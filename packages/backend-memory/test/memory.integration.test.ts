import { mkdtemp, mkdir, open, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectErrno, run, runFailing, sha256, useMount } from '@fusekit/testkit'

const MiB = 1024 * 1024

interface DiskUsage {
  size: number
  used: number
  avail: number
}

async function df(dir: string): Promise<DiskUsage> {
  const { stdout } = await run('df', ['-B1', '--output=size,used,avail', dir])
  const [size, used, avail] = stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number) as [number, number, number]
  return { size, used, avail }
}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fusekit-memory-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

async function randomFile(name: string, mebibytes: number): Promise<string> {
  const path = join(scratch, name)
  await run('dd', ['if=/dev/urandom', `of=${path}`, 'bs=1M', `count=${mebibytes}`, 'status=none'])
  return path
}

describe.each(['lowlevel', 'fuse-native'])('memory backend with --size 64M (%s driver)', (driver) => {
  const mount = useMount({ backend: 'memory', args: () => ['--size', '64M', '--driver', driver] })

  it('fills up to its capacity, then fails with ENOSPC and keeps earlier data', async () => {
    const dir = join(mount().dir, 'capacity')
    await mkdir(dir)
    const empty = await df(dir)
    expect(empty.size).toBe(64 * MiB)
    expect(empty.used).toBeLessThan(MiB)
    expect(empty.avail).toBe(empty.size - empty.used)

    const first = await randomFile('first', 40)
    await run('dd', [`if=${first}`, `of=${join(dir, 'first')}`, 'bs=1M', 'status=none'])
    const holding = await df(dir)
    expect(holding.used).toBeGreaterThanOrEqual(40 * MiB)
    expect(holding.used).toBeLessThan(41 * MiB)
    expect(holding.avail).toBe(holding.size - holding.used)

    const second = await randomFile('second', 40)
    const full = await runFailing('dd', [`if=${second}`, `of=${join(dir, 'second')}`, 'bs=1M', 'status=none'])
    expect(full.stderr).toContain('No space left on device')
    expect((await stat(join(dir, 'second'))).size).toBeLessThanOrEqual(24 * MiB)
    const atCapacity = await df(dir)
    expect(atCapacity.used).toBeLessThanOrEqual(atCapacity.size)
    expect(atCapacity.avail).toBeLessThan(MiB)
    await expectErrno(writeFile(join(dir, 'more'), Buffer.alloc(2 * MiB, 1)), 'ENOSPC')
    expect(await sha256(join(dir, 'first'))).toBe(await sha256(first))

    // Deleting gives the space back.
    await unlink(join(dir, 'second'))
    await rm(join(dir, 'more'), { force: true })
    const freed = await df(dir)
    expect(freed.used).toBeLessThan(41 * MiB)
    const third = await randomFile('third', 20)
    await run('dd', [`if=${third}`, `of=${join(dir, 'third')}`, 'bs=1M', 'status=none'])
    expect(await sha256(join(dir, 'third'))).toBe(await sha256(third))
    expect(await sha256(join(dir, 'first'))).toBe(await sha256(first))
  })

  it('counts only the blocks a sparse file really holds', async () => {
    const dir = join(mount().dir, 'blocks')
    await mkdir(dir)
    const sparse = await open(join(dir, 'sparse'), 'w')
    await sparse.write(Buffer.from('x'), 0, 1, 1024 * MiB)
    await sparse.close()
    const sparseStat = await stat(join(dir, 'sparse'))
    expect(sparseStat.size).toBe(1024 * MiB + 1)
    expect(sparseStat.blocks * 512).toBeLessThan(MiB)

    await writeFile(join(dir, 'dense'), Buffer.alloc(MiB, 7))
    const denseStat = await stat(join(dir, 'dense'))
    expect(denseStat.blocks * 512).toBeGreaterThanOrEqual(MiB)
    expect(denseStat.blocks * 512).toBeLessThan(2 * MiB)
  })

  it('keeps a directory link count of 2 plus its subdirectories', async () => {
    const dir = join(mount().dir, 'nlink')
    await mkdir(dir)
    expect((await stat(dir)).nlink).toBe(2)
    await mkdir(join(dir, 'a'))
    await mkdir(join(dir, 'b'))
    await writeFile(join(dir, 'file'), 'files do not count')
    expect((await stat(dir)).nlink).toBe(4)
    await rmdir(join(dir, 'a'))
    expect((await stat(dir)).nlink).toBe(3)
    await mkdir(join(dir, 'elsewhere'))
    await rename(join(dir, 'b'), join(dir, 'elsewhere', 'b'))
    expect((await stat(dir)).nlink).toBe(3)
    expect((await stat(join(dir, 'elsewhere'))).nlink).toBe(3)
    await rename(join(dir, 'elsewhere', 'b'), join(mount().dir, 'b-moved-out'))
    expect((await stat(join(dir, 'elsewhere'))).nlink).toBe(2)
  })
})

describe.each(['lowlevel', 'fuse-native'])('memory backend with --read-only (%s driver)', (driver) => {
  const mount = useMount({ backend: 'memory', args: () => ['--read-only', '--driver', driver] })

  it('refuses every change with EROFS and still answers reads', async () => {
    const root = mount().dir
    expect((await stat(root)).isDirectory()).toBe(true)
    await expectErrno(writeFile(join(root, 'file'), 'x'), 'EROFS')
    await expectErrno(mkdir(join(root, 'dir')), 'EROFS')
    await expectErrno(rename(root + '/a', root + '/b'), 'EROFS')
    expect((await runFailing('touch', [join(root, 'file')])).stderr).toContain('Read-only file system')
    expect((await runFailing('setfattr', ['-n', 'user.a', '-v', '1', root])).stderr).toContain('Read-only file system')
    const line = (await readFile('/proc/self/mounts', 'utf8')).split('\n').find((entry) => entry.split(' ')[1] === root)
    expect(line?.split(' ')[3]?.split(',')).toContain('ro')
    expect(await run('ls', ['-A', root])).toMatchObject({ stdout: '' })
  })
})
