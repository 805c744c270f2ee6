import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rmdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fixture of test/fixtures serving a mount in its own process, and what it prints on stderr. */
export interface FixtureServer {
  readonly dir: string
  /** The serving process. */
  readonly pid: number
  /** Resolves with the match once the server has printed something matching `pattern`. */
  printed(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  /** Ends the server (SIGTERM: it unmounts) and removes the mountpoint. */
  stop(): Promise<void>
}

/** Mounts `fixture` on a new directory (its first argument, `args` after it); resolves once it printed "ready <dir>". */
export async function startFixture(fixture: string, args: readonly string[] = []): Promise<FixtureServer> {
  if (!existsSync('/dev/fuse')) throw new Error('FUSE is not available here: /dev/fuse is missing (install it with apt-get install -y libfuse2 fuse)')
  const dir = await mkdtemp(join(tmpdir(), 'fusekit-fixture-'))
  const server: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', fixture), dir, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  server.stderr!.on('data', (data: Buffer) => (output += data.toString()))
  const printed = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs)
      const check = () => {
        const match = output.match(pattern)
        if (!match) return
        clearTimeout(timer)
        server.stderr!.off('data', check)
        resolve(match)
      }
      server.stderr!.on('data', check)
      check()
    })
  await printed(new RegExp(`ready ${dir}`))
  return {
    dir,
    pid: server.pid!,
    printed,
    stop: async () => {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve))
        server.kill('SIGTERM')
        await exited
      }
      await rmdir(dir)
    },
  }
}
