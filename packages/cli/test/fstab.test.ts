import { execFile } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, rmdir, statfs, symlink, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { cliPath, eventually } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'
import { mountEntry } from './fixtures/mount-table.js'

const run = promisify(execFile)

// mount(8) looks for helpers in /sbin, /sbin/fs.d and /sbin/fs only (not PATH): the test installs
// mount.fusekit there for its duration.
const INSTALLED_HELPER = '/sbin/mount.fusekit'
const LOG_DIR = '/var/log/fusekit'
let helper: string
let installedHelper = false
let createdLogDir = false
let project: string
let fstab: string
const mountpoints: string[] = []

beforeAll(async () => {
  helper = join(dirname(cliPath()), 'mount-helper/bin.js')
  const existing = await lstat(INSTALLED_HELPER).catch(() => undefined)
  if (existing) {
    // Left behind by an interrupted run of this test: replace it; anything else is not ours to shadow.
    if (!existing.isSymbolicLink() || !(await readlink(INSTALLED_HELPER)).endsWith('/dist/mount-helper/bin.js')) {
      throw new Error(`${INSTALLED_HELPER} exists and is not this test's symlink: remove it to run these tests`)
    }
    await unlink(INSTALLED_HELPER)
  }
  await symlink(helper, INSTALLED_HELPER)
  installedHelper = true
  createdLogDir = !(await lstat(LOG_DIR).catch(() => undefined))

  project = await realpath(await mkdtemp(join(tmpdir(), 'fusekit-cli-fstab-')))
  await writeHelloPackage(project)
  const hello = join(project, 'node_modules/fusekit-backend-hello')
  await writeFile(join(project, 'fusekit.config.json'), JSON.stringify({ mounts: { greet: { backend: hello, options: { greeting: 'from file' } } } }))
  for (const name of ['scratch', 'greet', 'bad', 'notempty']) {
    await mkdir(join(project, name))
    mountpoints.push(join(project, name))
  }
  await writeFile(join(project, 'notempty', 'file'), '')
  fstab = join(project, 'fstab')
  await writeFile(
    fstab,
    [
      `memory ${project}/scratch fusekit defaults,size=1G,allow_other,noatime,x-systemd.automount,nofail 0 0`,
      `greet ${project}/greet fusekit ro,config=${project}/fusekit.config.json,log=${project}/greet.log 0 0`,
      `memory ${project}/bad fusekit size=banana,log=${project}/bad.log 0 0`,
      `memory ${project}/notempty fusekit log=${project}/notempty.log 0 0`,
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  for (const dir of mountpoints) await run('umount', ['-l', dir]).catch(() => undefined)
  if (installedHelper) await unlink(INSTALLED_HELPER)
  await rm(join(LOG_DIR, `${project.slice(1).replace(/\//g, '-')}-scratch.log`), { force: true })
  if (createdLogDir) await rmdir(LOG_DIR).catch(() => undefined)
  await rm(project, { recursive: true, force: true })
})

/**
 * `mount -T <the test's fstab> <dir>` (mount(8) reads the line for dir there), from / as at boot;
 * its exit code and stderr.
 */
async function mountFromFstab(dir: string): Promise<{ code: number; stderr: string }> {
  return run('mount', ['-T', fstab, dir], { cwd: '/', timeout: 60_000 }).then(
    ({ stderr }) => ({ code: 0, stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  )
}

/** Command lines of running processes that serve `dir` for mount.fusekit. */
async function daemonsOf(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')
    if (args.some((arg) => arg.endsWith('mount-helper/daemon.js')) && args.includes(dir)) found.push(args.join(' '))
  }
  return found
}

describe('fstab lines through mount.fusekit', () => {
  it('mounts `memory <dir> fusekit defaults,size=1G,...` with mount, serves it in the background, and umount ends it', async () => {
    const dir = join(project, 'scratch')
    const mounted = await mountFromFstab(dir)
    expect(mounted, mounted.stderr).toEqual({ code: 0, stderr: '' })
    const entry = await mountEntry(dir)
    expect(entry?.type).toBe('fuse.memory')
    expect(entry?.options).toContain('noatime')
    expect(entry?.superOptions).toContain('allow_other')
    const { bsize, blocks } = await statfs(dir)
    expect(bsize * blocks).toBe(2 ** 30)
    await writeFile(join(dir, 'note'), 'kept while mount.fusekit is gone')
    expect(await readFile(join(dir, 'note'), 'utf8')).toBe('kept while mount.fusekit is gone')
    expect(await daemonsOf(dir)).toHaveLength(1)

    await run('umount', [dir])
    await eventually(async () => expect(await daemonsOf(dir)).toEqual([]), 15_000)
    const log = await readFile(join(LOG_DIR, `${dir.slice(1).replace(/\//g, '-')}.log`), 'utf8')
    expect(log).toMatch(new RegExp(`^\\S+Z fusekit: mounted memory at ${dir}\\n\\S+Z fusekit: ${dir} was unmounted from outside; exiting\\n$`))
  })

  it('mounts a named mount of the config file given with config=, read-only, logging where log= says; mount -a sees it mounted', async () => {
    const dir = join(project, 'greet')
    const mounted = await mountFromFstab(dir)
    expect(mounted, mounted.stderr).toEqual({ code: 0, stderr: '' })
    expect(await readFile(join(dir, 'hello'), 'utf8')).toBe('from file\n')
    const entry = await mountEntry(dir)
    expect(entry?.options).toContain('ro')
    // The source is the line's first field, so mount -a leaves the line alone.
    expect(entry?.source).toBe('greet')
    const onlyGreet = join(project, 'greet.fstab')
    await writeFile(onlyGreet, (await readFile(fstab, 'utf8')).split('\n').filter((line) => line.startsWith('greet ')).join('\n') + '\n')
    const again = await run('mount', ['-a', '-v', '-T', onlyGreet], { cwd: '/' })
    expect(again.stdout).toMatch(new RegExp(`^${dir} *: already mounted\n$`))
    await run('umount', [dir])
    await eventually(async () => expect(await daemonsOf(dir)).toEqual([]), 15_000)
    expect(await readFile(join(project, 'greet.log'), 'utf8')).toContain(`fusekit: mounted hello at ${dir}\n`)
  })

  it("fails with the mount's own error, exit 1 for a bad option and 32 for a failed mount", async () => {
    const bad = await mountFromFstab(join(project, 'bad'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^fusekit: error: invalid options for backend memory: --size: size "banana" is not understood: .*\n$/)
    expect(await readFile(join(project, 'bad.log'), 'utf8')).toMatch(/^\S+Z fusekit: error: invalid options for backend memory: --size: /)

    const notEmpty = await mountFromFstab(join(project, 'notempty'))
    expect(notEmpty.code).toBe(32)
    expect(notEmpty.stderr).toMatch(new RegExp(`^fusekit: error: ENOTEMPTY: mountpoint ${project}/notempty is not empty: [^\n]+\n$`))
    for (const dir of ['bad', 'notempty']) {
      expect(await mountEntry(join(project, dir))).toBeUndefined()
      expect(await daemonsOf(join(project, dir))).toEqual([])
    }
  })

  it('with -f -v says what it would run, and mounts nothing', async () => {
    const dir = join(project, 'scratch')
    const { stdout, stderr } = await run(process.execPath, [helper, 'memory', dir, '-fv', '-o', 'rw,size=1G,ro,noatime'], { cwd: project })
    expect(stdout).toBe('')
    expect(stderr).toBe(`mount.fusekit: fusekit mount memory ${dir} --fsname=memory --size=1G --read-only -o noatime (output to ${LOG_DIR}${dir.replace(/\//g, '-').replace(/^-/, '/')}.log)\n`)
    expect(await mountEntry(dir)).toBeUndefined()
  })
})
