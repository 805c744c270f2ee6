import { chmod, chown, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assert, assertAfter, assertErrno, assertTime } from './assertions.js'
import type { PosixCase } from './types.js'

/** Nanosecond timestamps with every digit significant; one is past 2038. */
const T1 = 1_600_000_000_123_456_789n
const T2 = 1_500_000_000_987_654_321n
const T3 = 2_300_000_000_000_000_001n
const T4 = 1_000_000_000_999_999_999n

export const timeCases: PosixCase[] = [
  {
    name: 'the owner and root set explicit times; another user gets EPERM for them, even with write permission',
    needs: ['otherUsers'],
    async run(dir, { utimens, users, lstat, capabilities, make }) {
      const { alice, bob, root } = users
      const writable = join(dir, 'writable')
      const readable = join(dir, 'readable')
      await make(writable, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o666 })
      await make(readable, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o644 })

      assertErrno(await utimens(alice, writable, [T1, T2]), 'ok', 'alice sets explicit times on her file')
      let s = await lstat(writable)
      assertTime(s.atimeNs, T1, capabilities, 'atime set by alice')
      assertTime(s.mtimeNs, T2, capabilities, 'mtime set by alice')
      assertErrno(await utimens(alice, writable, [T3, T4]), 'ok', 'alice sets times past 2038')
      s = await lstat(writable)
      assertTime(s.atimeNs, T3, capabilities, 'atime past 2038')
      assertTime(s.mtimeNs, T4, capabilities, 'mtime with 999999999 ns')

      assertErrno(await utimens(bob, writable, [T1, T2]), 'EPERM', "bob sets explicit times on alice's writable file")
      assertErrno(await utimens(bob, writable, [T1, 'omit']), 'EPERM', "bob sets an explicit atime on alice's writable file")
      assertErrno(await utimens(bob, readable, [T1, T2]), 'EPERM', "bob sets explicit times on alice's read-only file")
      s = await lstat(writable)
      assertTime(s.atimeNs, T3, capabilities, 'atime after bob was refused')
      assertTime(s.mtimeNs, T4, capabilities, 'mtime after bob was refused')

      assertErrno(await utimens(root, readable, [T2, T1]), 'ok', "root sets explicit times on alice's file")
      s = await lstat(readable)
      assertTime(s.atimeNs, T2, capabilities, 'atime set by root')
      assertTime(s.mtimeNs, T1, capabilities, 'mtime set by root')
    },
  },
  {
    name: 'another user with write permission may set both times to now, but not one of them; without write permission EACCES',
    needs: ['otherUsers'],
    async run(dir, { utimens, users, lstat, make, capabilities }) {
      const { alice, bob } = users
      const writable = join(dir, 'writable')
      const readable = join(dir, 'readable')
      await make(writable, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o666 })
      await make(readable, { content: 'x', uid: alice.uid, gid: alice.gid, mode: 0o644 })
      for (const path of [writable, readable]) assertErrno(await utimens(alice, path, [T1, T2]), 'ok', 'alice sets old times')

      const before = BigInt(Date.now()) * 1_000_000n
      assertErrno(await utimens(bob, writable, null), 'ok', "bob touches alice's writable file (times NULL)")
      const after = BigInt(Date.now()) * 1_000_000n
      const touched = await lstat(writable)
      // One "now" for the whole call: atime, mtime and ctime are the same instant. A mount that
      // keeps milliseconds (fuse-native) is handed "now" as a time and stamps ctime itself.
      assert.equal(touched.atimeNs, touched.mtimeNs, 'atime and mtime of a touch are one instant')
      if (capabilities.has('nanosecondTimes')) assert.equal(touched.ctimeNs, touched.mtimeNs, 'ctime and mtime of a touch are one instant')
      // The kernel's coarse clock may lag Date.now() by a tick.
      assert.ok(touched.mtimeNs >= before - 50_000_000n && touched.mtimeNs <= after + 50_000_000n, `mtime ${touched.mtimeNs} is now (${before}..${after})`)

      assertErrno(await utimens(bob, writable, ['now', 'now']), 'ok', 'bob sets both times to UTIME_NOW')
      assertErrno(await utimens(bob, writable, ['now', 'omit']), 'EPERM', 'bob sets only atime to UTIME_NOW')
      assertErrno(await utimens(bob, writable, ['omit', 'now']), 'EPERM', 'bob sets only mtime to UTIME_NOW')
      assertErrno(await utimens(bob, readable, null), 'EACCES', "bob touches alice's read-only file")
      assertErrno(await utimens(bob, readable, ['now', 'now']), 'EACCES', "bob sets UTIME_NOW on alice's read-only file")
      const untouched = await lstat(readable)
      assertTime(untouched.atimeNs, T1, capabilities, 'atime of the read-only file after the refusals')
      assertTime(untouched.mtimeNs, T2, capabilities, 'mtime of the read-only file after the refusals')
    },
  },
  {
    name: 'UTIME_OMIT leaves that time exactly as it was, and both omitted change nothing at all',
    needs: ['subsecondTimes'],
    async run(dir, { utimens, users, lstat, tick, capabilities }) {
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      const { root } = users
      assertErrno(await utimens(root, file, [T1, T2]), 'ok', 'set both')
      const start = await lstat(file)
      await tick()
      assertErrno(await utimens(root, file, [T3, 'omit']), 'ok', 'atime only')
      const atimeOnly = await lstat(file)
      assertTime(atimeOnly.atimeNs, T3, capabilities, 'atime after setting atime only')
      assertTime(atimeOnly.mtimeNs, T2, capabilities, 'mtime after setting atime only')
      assertAfter(atimeOnly.ctimeNs, start.ctimeNs, 'ctime after setting atime only')
      await tick()
      assertErrno(await utimens(root, file, ['omit', T4]), 'ok', 'mtime only')
      const mtimeOnly = await lstat(file)
      assertTime(mtimeOnly.atimeNs, T3, capabilities, 'atime after setting mtime only')
      assertTime(mtimeOnly.mtimeNs, T4, capabilities, 'mtime after setting mtime only')
      assertAfter(mtimeOnly.ctimeNs, atimeOnly.ctimeNs, 'ctime after setting mtime only')
      await tick()
      assertErrno(await utimens(root, file, ['omit', 'omit']), 'ok', 'both omitted')
      const neither = await lstat(file)
      assert.deepEqual([neither.atimeNs, neither.mtimeNs, neither.ctimeNs], [mtimeOnly.atimeNs, mtimeOnly.mtimeNs, mtimeOnly.ctimeNs], 'times after both omitted')
    },
  },
  {
    name: 'writes and size changes set mtime and ctime to one instant; chmod, chown and rename set only ctime; entries change their directory\'s mtime and ctime',
    needs: ['subsecondTimes', 'chown'],
    async run(dir, { utimens, users, stat, tick }) {
      const file = join(dir, 'file')
      await writeFile(file, 'x')
      assertErrno(await utimens(users.root, file, [T2, T2]), 'ok', 'old times')
      const s0 = await stat(file)
      // data: mtime and ctime move together; meta: only ctime moves; none: neither moves.
      const steps: Array<[string, () => Promise<unknown>, 'data' | 'meta' | 'none']> = [
        ['write', () => writeFile(file, 'yy', { flag: 'r+' }), 'data'],
        ['chmod', () => chmod(file, 0o600), 'meta'],
        ['chown', () => chown(file, users.alice.uid, users.alice.gid), 'meta'],
        ['truncate to a new size', () => truncate(file, 10), 'data'],
        ['rename', () => rename(file, join(dir, 'renamed')).then(() => rename(join(dir, 'renamed'), file)), 'meta'],
        ['read', () => readFile(file), 'none'],
      ]
      let previous = s0
      for (const [what, step, kind] of steps) {
        await tick()
        await step()
        const now = await stat(file)
        if (kind === 'none') {
          assert.deepEqual([now.mtimeNs, now.ctimeNs], [previous.mtimeNs, previous.ctimeNs], `mtime and ctime after ${what}`)
        } else if (kind === 'data') {
          assertAfter(now.mtimeNs, previous.mtimeNs, `mtime after ${what}`)
          assert.equal(now.ctimeNs, now.mtimeNs, `ctime and mtime after ${what} are one instant`)
        } else {
          assertAfter(now.ctimeNs, previous.ctimeNs, `ctime after ${what}`)
          assert.equal(now.mtimeNs, previous.mtimeNs, `mtime after ${what}`)
        }
        previous = now
      }

      let parent = await stat(dir)
      for (const [what, step] of [
        ['creating an entry', () => writeFile(join(dir, 'new'), '')],
        ['renaming an entry', () => rename(join(dir, 'new'), join(dir, 'newer'))],
        ['removing an entry', () => unlink(join(dir, 'newer'))],
      ] as const) {
        await tick()
        await step()
        const now = await stat(dir)
        assertAfter(now.mtimeNs, parent.mtimeNs, `directory mtime after ${what}`)
        assert.equal(now.ctimeNs, now.mtimeNs, `directory ctime and mtime after ${what} are one instant`)
        parent = now
      }
    },
  },
]
