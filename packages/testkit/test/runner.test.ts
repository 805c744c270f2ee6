import { execFileSync } from 'node:child_process'
import { chmod, mkdtemp, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPosixCases, type PosixCase } from '../src/cases/index.js'
import { unmount } from './mounts.js'

// The runner and the tools themselves, on a tmpfs of their own: results of passing, failing and
// skipped cases, and what crosses the process boundary of `as`.
let mountDir = ''

beforeAll(async () => {
  mountDir = await mkdtemp(join(tmpdir(), 'fusekit-runner-'))
  await chmod(mountDir, 0o755)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=16m', 'fusekit-runner', mountDir], { stdio: 'pipe' })
})

afterAll(async () => {
  if (!mountDir) return
  unmount(mountDir)
  await rmdir(mountDir)
})

describe('runPosixCases', () => {
  it('reports passed, failed and skipped cases in order, each in its own 0777 directory owned by root', async () => {
    const seen: string[] = []
    const cases: PosixCase[] = [
      {
        name: 'passes',
        async run(dir, { stat }) {
          const s = await stat(dir)
          expect([s.mode, s.uid, s.gid]).toEqual([0o40777, 0, 0])
        },
      },
      { name: 'fails', async run() { throw new Error('wrong on purpose') } },
      { name: 'needs xattrs', needs: ['xattrs'], async run() { throw new Error('must not run') } },
    ]
    const results = await runPosixCases(mountDir, ['writable', 'otherUsers', 'chown'], { cases, onResult: (result) => seen.push(result.name) })
    expect(results.map(({ name, status }) => [name, status])).toEqual([['passes', 'passed'], ['fails', 'failed'], ['needs xattrs', 'skipped']])
    expect(results[1]?.status === 'failed' && String(results[1].error)).toContain('wrong on purpose')
    expect(results[2]).toMatchObject({ reason: 'needs xattrs' })
    expect(seen).toEqual(['passes', 'fails', 'needs xattrs'])
  })

  it('gives the child its user, groups, umask, bigints, and rethrows its errors with their code', async () => {
    const [result] = await runPosixCases(mountDir, ['writable', 'otherUsers', 'chown'], {
      cases: [{
        name: 'tools',
        async run(dir, { as, run, users, seek }) {
          const seenByAlice = await as({ user: users.alice, umask: 0o077 }, async ({ fs, stat }, d: string, big: bigint) => {
            await fs.writeFile(`${d}/f`, 'x')
            return { uid: process.getuid!(), gid: process.getgid!(), groups: process.getgroups!(), umask: process.umask(), big: big * 2n, stat: await stat(`${d}/f`) }
          }, dir, 2n ** 70n)
          expect(seenByAlice).toMatchObject({ uid: users.alice.uid, gid: users.alice.gid, umask: 0o077, big: 2n ** 71n })
          expect([...seenByAlice.groups].sort()).toEqual([...users.alice.groups].sort())
          expect(seenByAlice.stat).toMatchObject({ mode: 0o100600, uid: users.alice.uid, size: 1 })
          expect(typeof seenByAlice.stat.ctimeNs).toBe('bigint')

          const failure = await as(users.bob, ({ fs }, d: string) => fs.writeFile(`${d}/f`, 'y'), dir).catch((error: NodeJS.ErrnoException) => error)
          expect(failure).toMatchObject({ code: 'EACCES' })
          expect(String(failure)).toContain('fusekit-bob')

          expect(await run(users.bob, 'sh', ['-c', 'id -u; umask; exit 3'])).toEqual({ code: 3, stdout: `${users.bob.uid}\n0022\n`, stderr: '' })
          // The helper reports a failed open as an exception: the case asked the wrong question.
          await writeFile(join(dir, 'secret'), 'x', { mode: 0o600 })
          await expect(seek(users.bob, join(dir, 'secret'), 'data', 0)).rejects.toThrow(/opening the file failed with EACCES/)
        },
      }],
    })
    if (result?.status === 'failed') throw result.error
    expect(result?.status).toBe('passed')
  })
})
