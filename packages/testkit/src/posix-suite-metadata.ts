import { chmod, chown, lchown, lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { expect, it } from 'vitest'
import type { PosixSuiteContext } from './posix-suite.js'
import { expectOneOfErrnos, run, runFailing } from './posix-suite-tools.js'

/** Attributes: mode, ownership, times, extended attributes, filesystem statistics. */
export function registerMetadataCases(suite: PosixSuiteContext): void {
  it('chmod changes the permission bits and ctime', async () => {
    const dir = await suite.caseDir('chmod')
    const file = join(dir, 'file')
    await writeFile(file, 'x')
    const before = await stat(file)
    for (const mode of [0o640, 0o4755, 0o1777, 0o000, 0o644]) {
      await chmod(file, mode)
      expect((await stat(file)).mode & 0o7777).toBe(mode)
    }
    expect((await stat(file)).isFile()).toBe(true)
    expect((await stat(file)).ctimeMs).toBeGreaterThanOrEqual(before.ctimeMs)

    await run('chmod', ['u=rwx,g=rx,o=', file])
    expect((await run('stat', ['-c', '%a %A', file])).stdout).toBe('750 -rwxr-x---\n')
    await mkdir(join(dir, 'sub'))
    await chmod(join(dir, 'sub'), 0o711)
    expect((await stat(join(dir, 'sub'))).mode & 0o7777).toBe(0o711)
    expect((await stat(join(dir, 'sub'))).isDirectory()).toBe(true)
  })

  if (suite.capabilities.chown) {
    it('chown sets uid and gid numbers, lchown those of the link itself', async () => {
      const dir = await suite.caseDir('chown')
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      await chown(file, 1234, 5678)
      expect(await stat(file)).toMatchObject({ uid: 1234, gid: 5678 })
      await run('chown', ['4321:8765', file])
      expect((await run('stat', ['-c', '%u %g', file])).stdout).toBe('4321 8765\n')
      // -1 leaves that id as it is.
      await chown(file, -1, 42)
      expect(await stat(file)).toMatchObject({ uid: 4321, gid: 42 })

      await mkdir(join(dir, 'sub'))
      await chown(join(dir, 'sub'), 7, 8)
      expect(await stat(join(dir, 'sub'))).toMatchObject({ uid: 7, gid: 8 })
      if (suite.capabilities.symlinks) {
        await symlink('file', join(dir, 'link'))
        await lchown(join(dir, 'link'), 99, 98)
        expect(await lstat(join(dir, 'link'))).toMatchObject({ uid: 99, gid: 98 })
        expect(await stat(file)).toMatchObject({ uid: 4321, gid: 42 })
      }
    })
  } else {
    it('refuses chown cleanly', async () => {
      const dir = await suite.caseDir('chown refused')
      await writeFile(join(dir, 'file'), 'x')
      const { uid, gid } = await stat(join(dir, 'file'))
      await expectOneOfErrnos(chown(join(dir, 'file'), uid + 1, gid + 1), ['EPERM', 'ENOTSUP', 'ENOSYS'])
      expect(await stat(join(dir, 'file'))).toMatchObject({ uid, gid })
    })
  }

  it(`touch sets sub-second times to the ${suite.timePrecision}, and "now" without a date`, async () => {
    const dir = await suite.caseDir('times')
    const file = join(dir, 'file')
    await writeFile(file, 'x')
    const nanos = suite.timePrecision === 'nanosecond' ? '456789' : '000000'
    const stamps: Array<[string, string, number]> = [
      ['2021-03-04 05:06:07.123456789', `2021-03-04 05:06:07.123${nanos} +0000`, Date.UTC(2021, 2, 4, 5, 6, 7, 123)],
      ['1999-12-31 23:59:59.999', '1999-12-31 23:59:59.999000000 +0000', Date.UTC(1999, 11, 31, 23, 59, 59, 999)],
      // Past 2038: times must not be squeezed into 32 bits.
      ['2040-01-02 03:04:05.678', '2040-01-02 03:04:05.678000000 +0000', Date.UTC(2040, 0, 2, 3, 4, 5, 678)],
    ]
    for (const [date, shown, millis] of stamps) {
      await run('touch', ['-d', date, file])
      expect((await run('stat', ['-c', '%y|%x', file])).stdout).toBe(`${shown}|${shown}\n`)
      const { mtimeMs, atimeMs } = await stat(file)
      expect([Math.floor(mtimeMs), Math.floor(atimeMs)]).toEqual([millis, millis])
    }

    await run('touch', ['-d', '2000-01-01 00:00:00', join(dir, 'created by touch')])
    expect((await stat(join(dir, 'created by touch'))).mtimeMs).toBe(Date.UTC(2000, 0, 1))

    const before = Date.now()
    await run('touch', [file])
    const after = Date.now()
    const { mtimeMs, atimeMs } = await stat(file)
    // A backend over a kernel filesystem gets "now" from the kernel's coarse clock (a few ms behind);
    // one with a sub-millisecond clock can be up to a millisecond past Date.now()'s whole milliseconds.
    for (const time of [mtimeMs, atimeMs]) {
      expect(time).toBeGreaterThanOrEqual(before - 20)
      expect(time).toBeLessThan(after + 1)
    }
  })

  if (suite.capabilities.xattr) {
    it('sets, gets, lists and removes extended attributes with setfattr/getfattr', async () => {
      const dir = await suite.caseDir('xattr')
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      await run('setfattr', ['-n', 'user.color', '-v', 'red', file])
      expect((await run('getfattr', ['--only-values', '-n', 'user.color', file])).stdout).toBe('red')
      // Binary values in hex, and an empty value.
      await run('setfattr', ['-n', 'user.binary', '-v', '0x00ff10fe00', file])
      expect((await run('getfattr', ['-e', 'hex', '-n', 'user.binary', file])).stdout).toContain('user.binary=0x00ff10fe00\n')
      await run('setfattr', ['-n', 'user.empty', file])
      const large = 'ab'.repeat(2048)
      await run('setfattr', ['-n', 'user.large', '-v', `0x${large}`, file])
      expect((await run('getfattr', ['-e', 'hex', '-n', 'user.large', file])).stdout).toContain(`user.large=0x${large}\n`)

      const dump = (await run('getfattr', ['-d', '-m', '^user\\.', file])).stdout
      const names = dump.split('\n').filter((line) => line.startsWith('user.')).map((line) => line.split('=')[0])
      expect(names.sort()).toEqual(['user.binary', 'user.color', 'user.empty', 'user.large'])
      expect(dump).toContain('user.color="red"')

      // Replacing keeps one attribute with the new value.
      await run('setfattr', ['-n', 'user.color', '-v', 'blue', file])
      expect((await run('getfattr', ['--only-values', '-n', 'user.color', file])).stdout).toBe('blue')

      await run('setfattr', ['-x', 'user.color', file])
      const missing = await runFailing('getfattr', ['-n', 'user.color', file])
      expect(missing.stderr).toContain('No such attribute')
      expect((await runFailing('setfattr', ['-x', 'user.never-set', file])).stderr).toContain('No such attribute')
      expect((await run('getfattr', ['-d', '-m', '^user\\.', file])).stdout).not.toContain('user.color')

      // Directories carry them too.
      await mkdir(join(dir, 'sub'))
      await run('setfattr', ['-n', 'user.dir', '-v', 'yes', join(dir, 'sub')])
      expect((await run('getfattr', ['--only-values', '-n', 'user.dir', join(dir, 'sub')])).stdout).toBe('yes')
    })
  } else {
    it('refuses extended attributes cleanly', async () => {
      const dir = await suite.caseDir('xattr refused')
      await writeFile(join(dir, 'file'), 'x')
      const refused = await runFailing('setfattr', ['-n', 'user.color', '-v', 'red', join(dir, 'file')])
      expect(refused.stderr).toContain('Operation not supported')
      expect(await readdir(dir)).toEqual(['file'])
    })
  }

  it('answers statfs for df and stat -f', async () => {
    const dir = await suite.caseDir('statfs')
    const [blocks, free, available, blockSize, nameMax] = (await run('stat', ['-f', '-c', '%b %f %a %S %l', dir])).stdout.trim().split(' ').map(Number)
    expect(blocks).toBeGreaterThan(0)
    expect(free).toBeLessThanOrEqual(blocks!)
    expect(available).toBeLessThanOrEqual(free!)
    expect(blockSize).toBeGreaterThan(0)
    expect(nameMax).toBe(255)

    const lines = (await run('df', ['-B1', '--output=size,used,avail,target', dir])).stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    const [size, used, avail, target] = lines[1]!.trim().split(/\s+/) as [string, string, string, string]
    expect(target).toBe(dirname(dir))
    // Free space may change between the two calls (a backend over a busy disk): only the total is fixed.
    expect(Number(size)).toBe(blocks! * blockSize!)
    expect(Number(used)).toBeGreaterThanOrEqual(0)
    expect(Number(used) + Number(avail)).toBeLessThanOrEqual(Number(size))
  })
}
