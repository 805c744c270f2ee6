import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cliPath, runCli } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'
import { mountEntry } from './fixtures/mount-table.js'

const run = promisify(execFile)
let project: string
let mountpoint: string

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fusekit-cli-env-'))
  await writeHelloPackage(project)
  mountpoint = join(project, 'mnt')
  await mkdir(mountpoint)
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

/** The file the dynamic linker loads for libfuse.so.2. */
async function libfusePath(): Promise<string> {
  const { stdout } = await run('ldconfig', ['-p'], { env: { PATH: `/usr/sbin:/sbin:${process.env.PATH}` } })
  const line = stdout.split('\n').find((l) => l.trim().startsWith('libfuse.so.2 '))
  if (!line) throw new Error(`libfuse.so.2 is not in the linker cache:\n${stdout}`)
  return realpath(line.slice(line.indexOf('=>') + 2).trim())
}

describe('fusekit mount: what the machine lacks', () => {
  it('says to install fuse when the fuse-native driver finds no fusermount on PATH', async () => {
    const result = await runCli(['mount', 'hello', mountpoint, '--driver', 'fuse-native'], { cwd: project, env: { PATH: '/nonexistent' } })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe('fusekit: error: fusermount is missing: install it with apt-get install -y fuse\n')
  })

  it('says to install libfuse2 when the fuse-native driver cannot load the library', async () => {
    // In a private mount namespace, the library is replaced by an empty file.
    const library = await libfusePath()
    const script = `mount --bind /dev/null "$1" && shift && exec "$@"`
    const result = await run('unshare', ['--mount', '--map-root-user', 'sh', '-c', script, 'sh', library, process.execPath, cliPath(), 'mount', 'hello', mountpoint, '--driver', 'fuse-native'], {
      cwd: project,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe('fusekit: error: ENODEV: libfuse 2 is missing (install libfuse 2 and fusermount: apt-get install -y libfuse2 fuse)\n')
    expect(await mountEntry(mountpoint)).toBeUndefined()
  })
})
