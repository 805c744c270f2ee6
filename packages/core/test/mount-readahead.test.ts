import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { mountDevice } from '../src/lowlevel/mount-readahead.js'

const fixture = join(import.meta.dirname, 'fixtures/serve-probe.mjs')

describe('mountDevice', () => {
  const mountinfo = [
    '22 1 0:21 / / rw,relatime - ext4 /dev/vda rw',
    '40 22 0:47 / /tmp/with\\040space rw,nosuid,nodev - fuse.probe probe rw,user_id=0',
    '41 22 0:48 / /tmp/back\\134slash rw - fuse.probe probe rw',
    '42 40 0:49 / /tmp/with\\040space rw - fuse.probe probe rw',
  ].join('\n')

  it('finds the last mount on a path, with mountinfo octal escapes undone', () => {
    expect(mountDevice(mountinfo, '/tmp/with space')).toBe('0:49')
    expect(mountDevice(mountinfo, '/tmp/back\\slash')).toBe('0:48')
  })

  it('is undefined for a path nothing is mounted on, or only a prefix of one', () => {
    expect(mountDevice(mountinfo, '/tmp/with')).toBeUndefined()
    expect(mountDevice(mountinfo, '/tmp/elsewhere')).toBeUndefined()
  })
})

describe('readahead of a low-level mount (root)', () => {
  let work: string
  let server: ChildProcess | undefined

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve))
      server.kill('SIGTERM')
      await exited
    }
    if (work) await rm(work, { recursive: true, force: true })
  })

  it("raises the mount's own backing device to max_write (1 MiB), mounted through a symbolic link", async () => {
    work = await mkdtemp(join(tmpdir(), 'fusekit readahead-'))
    await mkdir(join(work, 'mount point'))
    await symlink(join(work, 'mount point'), join(work, 'link'))
    server = spawn(process.execPath, [fixture, join(work, 'link'), '--lowlevel'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let output = ''
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready within 10 s:\n${output}`)), 10_000)
      server!.stderr!.on('data', (data: Buffer) => {
        output += data.toString()
        if (output.includes('ready ')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    // The readahead is raised when INIT is answered, which may come after "ready": a stat of the
    // root waits for INIT (the kernel holds every request until then).
    await stat(join(work, 'mount point'))
    const device = mountDevice(await readFile('/proc/self/mountinfo', 'utf8'), join(work, 'mount point'))
    expect(device, output).toMatch(/^0:\d+$/)
    expect((await readFile(`/sys/class/bdi/${device}/read_ahead_kb`, 'utf8')).trim()).toBe('1024')
  })
})
