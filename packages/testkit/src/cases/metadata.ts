import { chmod, chown, lchown, lstat, mkdir, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertErrnoIn, timeAtPrecision } from './assertions.js'
import { nsOf } from './constants.js'
import { run, runFailing } from './shell.js'
import type { PosixCase } from './types.js'

/** What a filesystem may answer when it does not do an operation at all. */
export const REFUSED = ['EPERM', 'ENOTSUP', 'ENOSYS'] as const

/** A time as `stat -c %y` prints it in UTC: 2021-03-04 05:06:07.123456789 +0000. */
function shownByStat(ns: bigint): string {
  const seconds = ns / 1_000_000_000n
  const iso = new Date(Number(seconds) * 1000).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(ns % 1_000_000_000n).padStart(9, '0')} +0000`
}

/** Attributes: mode, ownership, times, extended attributes. */
export const metadataCases: PosixCase[] = [
  {
    name: 'chmod changes the permission bits and ctime',
    async run(dir) {
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      const before = await stat(file)
      for (const mode of [0o640, 0o4755, 0o1777, 0o000, 0o644]) {
        await chmod(file, mode)
        assert.equal((await stat(file)).mode & 0o7777, mode, `permission bits after chmod 0${mode.toString(8)}`)
      }
      assert.ok((await stat(file)).isFile(), 'still a regular file')
      assert.ok((await stat(file)).ctimeMs >= before.ctimeMs, 'ctime did not go back')

      await run('chmod', ['u=rwx,g=rx,o=', file])
      assert.equal((await run('stat', ['-c', '%a %A', file])).stdout, '750 -rwxr-x---\n', 'stat after chmod u=rwx,g=rx,o=')
      await mkdir(join(dir, 'sub'))
      await chmod(join(dir, 'sub'), 0o711)
      assert.equal((await stat(join(dir, 'sub'))).mode & 0o7777, 0o711, 'permission bits of a directory')
      assert.ok((await stat(join(dir, 'sub'))).isDirectory(), 'still a directory')
    },
  },
  {
    name: 'chown sets uid and gid numbers, lchown those of the link itself',
    needs: ['chown'],
    async run(dir, { capabilities }) {
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      const owner = async (path: string) => {
        const { uid, gid } = await lstat(path)
        return { uid, gid }
      }
      await chown(file, 1234, 5678)
      assert.deepEqual(await owner(file), { uid: 1234, gid: 5678 }, 'after chown 1234:5678')
      await run('chown', ['4321:8765', file])
      assert.equal((await run('stat', ['-c', '%u %g', file])).stdout, '4321 8765\n', 'after chown(1) 4321:8765')
      // -1 leaves that id as it is.
      await chown(file, -1, 42)
      assert.deepEqual(await owner(file), { uid: 4321, gid: 42 }, 'after chown -1:42')

      await mkdir(join(dir, 'sub'))
      await chown(join(dir, 'sub'), 7, 8)
      assert.deepEqual(await owner(join(dir, 'sub')), { uid: 7, gid: 8 }, 'a directory after chown 7:8')
      if (capabilities.has('symlinks')) {
        await symlink('file', join(dir, 'link'))
        await lchown(join(dir, 'link'), 99, 98)
        assert.deepEqual(await owner(join(dir, 'link')), { uid: 99, gid: 98 }, 'the symlink after lchown')
        assert.deepEqual(await owner(file), { uid: 4321, gid: 42 }, 'its target after lchown')
      }
    },
  },
  {
    name: 'refuses chown cleanly',
    unless: ['chown'],
    async run(dir) {
      await writeFile(join(dir, 'file'), 'x')
      const { uid, gid } = await stat(join(dir, 'file'))
      await assertErrnoIn(chown(join(dir, 'file'), uid + 1, gid + 1), REFUSED, 'chown to other ids')
      const after = await stat(join(dir, 'file'))
      assert.deepEqual([after.uid, after.gid], [uid, gid], 'owner after the refusal')
    },
  },
  {
    name: 'touch sets times to the precision the mount keeps, and "now" without a date',
    async run(dir, { capabilities }) {
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      const stamps: Array<[string, bigint]> = [
        ['2021-03-04 05:06:07.123456789', nsOf('2021-03-04T05:06:07Z', 123_456_789)],
        ['1999-12-31 23:59:59.999', nsOf('1999-12-31T23:59:59Z', 999_000_000)],
        // Past 2038: times must not be squeezed into 32 bits.
        ['2040-01-02 03:04:05.678', nsOf('2040-01-02T03:04:05Z', 678_000_000)],
      ]
      for (const [date, ns] of stamps) {
        await run('touch', ['-d', date, file])
        const shown = shownByStat(timeAtPrecision(ns, capabilities))
        assert.equal((await run('stat', ['-c', '%y|%x', file])).stdout, `${shown}|${shown}\n`, `mtime and atime after touch -d '${date}'`)
      }

      await run('touch', ['-d', '2000-01-01 00:00:00', join(dir, 'created by touch')])
      assert.equal((await stat(join(dir, 'created by touch'))).mtimeMs, Date.UTC(2000, 0, 1), 'mtime of a file created by touch -d')

      const before = Date.now()
      await run('touch', [file])
      const after = Date.now()
      const { mtimeMs, atimeMs } = await stat(file)
      // A backend over a kernel filesystem gets "now" from the kernel's coarse clock (a few ms
      // behind); one with a sub-millisecond clock can be up to a millisecond past Date.now()'s
      // whole milliseconds; one keeping whole seconds cuts up to a second off.
      const earliest = before - 20 - (capabilities.has('subsecondTimes') ? 0 : 1000)
      for (const [what, time] of [['mtime', mtimeMs], ['atime', atimeMs]] as const) {
        assert.ok(time >= earliest && time < after + 1, `${what} ${time} after touch is now (${before}..${after})`)
      }
    },
  },
  {
    name: 'sets, gets, lists and removes extended attributes with setfattr/getfattr',
    needs: ['xattrs'],
    async run(dir) {
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      const value = async (name: string, path = file) => (await run('getfattr', ['--only-values', '-n', name, path])).stdout
      await run('setfattr', ['-n', 'user.color', '-v', 'red', file])
      assert.equal(await value('user.color'), 'red', 'user.color')
      // Binary values in hex, and an empty value.
      await run('setfattr', ['-n', 'user.binary', '-v', '0x00ff10fe00', file])
      assert.ok((await run('getfattr', ['-e', 'hex', '-n', 'user.binary', file])).stdout.includes('user.binary=0x00ff10fe00\n'), 'user.binary in hex')
      await run('setfattr', ['-n', 'user.empty', file])
      const large = 'ab'.repeat(2048)
      await run('setfattr', ['-n', 'user.large', '-v', `0x${large}`, file])
      assert.ok((await run('getfattr', ['-e', 'hex', '-n', 'user.large', file])).stdout.includes(`user.large=0x${large}\n`), 'user.large in hex')

      const dump = (await run('getfattr', ['-d', '-m', '^user\\.', file])).stdout
      const names = dump.split('\n').filter((line) => line.startsWith('user.')).map((line) => line.split('=')[0])
      assert.deepEqual(names.sort(), ['user.binary', 'user.color', 'user.empty', 'user.large'], 'names listed by getfattr -d')
      assert.ok(dump.includes('user.color="red"'), 'user.color in the dump')

      // Replacing keeps one attribute with the new value.
      await run('setfattr', ['-n', 'user.color', '-v', 'blue', file])
      assert.equal(await value('user.color'), 'blue', 'user.color replaced')

      await run('setfattr', ['-x', 'user.color', file])
      assert.ok((await runFailing('getfattr', ['-n', 'user.color', file])).stderr.includes('No such attribute'), 'getfattr of a removed attribute')
      assert.ok((await runFailing('setfattr', ['-x', 'user.never-set', file])).stderr.includes('No such attribute'), 'removing an attribute never set')
      assert.ok(!(await run('getfattr', ['-d', '-m', '^user\\.', file])).stdout.includes('user.color'), 'user.color no longer listed')

      // Directories carry them too.
      await mkdir(join(dir, 'sub'))
      await run('setfattr', ['-n', 'user.dir', '-v', 'yes', join(dir, 'sub')])
      assert.equal(await value('user.dir', join(dir, 'sub')), 'yes', 'user.dir on a directory')
    },
  },
  {
    name: 'refuses extended attributes cleanly',
    unless: ['xattrs'],
    async run(dir) {
      await writeFile(join(dir, 'file'), 'x')
      const refused = await runFailing('setfattr', ['-n', 'user.color', '-v', 'red', join(dir, 'file')])
      assert.ok(refused.stderr.includes('Operation not supported'), `setfattr said: ${refused.stderr}`)
      assert.deepEqual(await readdir(dir), ['file'], 'the directory after the refusal')
    },
  },
]
