import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { chmodSync, chownSync, closeSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FsError } from '../src/errno.js'
import { openKernelConnection, rawOptionProblem, refusedRawOptions, type KernelMountRequest } from '../src/lowlevel/kernel-mount.js'

// Real mounts, real fusermount, a real ordinary user: the test runs as root and drops to
// USER (created if missing) with setpriv for what an ordinary user does.
const USER = 'fusekit-mounter'
const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const ADDON_FILE = join('prebuilds', `${process.platform}-${process.arch}`, 'fuse-session.node')
const ADDON = join(PACKAGE, ADDON_FILE)
// The loader session-addon.ts imports, copied beside the compiled module as an installed package.
const NATIVE_ADDON = dirname(createRequire(import.meta.url).resolve('@fusekit/native-addon/package.json'))
const FIXTURE = join(PACKAGE, 'test/fixtures/kernel-mount-child.mjs')
const FUSE_CONF = '/etc/fuse.conf'

let work: string
let modulePath: string
let setpriv: string
let uid: number
let gid: number
let devFuseMode: number
let fuseConf: string | undefined
let mountCount = 0
const started = new Set<ChildProcessWithoutNullStreams>()
const mountpoints: string[] = []

/** The user that mounts through fusermount, made once (idempotent). */
function ensureUser(): void {
  if (spawnSync('id', ['-u', USER]).status !== 0) {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER])
  }
  setpriv = execFileSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).trim()
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }))
  gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }))
}

/** kernel-mount.ts and what it imports as JavaScript, beside copies of the addon and its loader, for child processes. */
function compileModule(): string {
  for (const file of ['src/errno.ts', 'src/lowlevel/session-addon.ts', 'src/lowlevel/kernel-mount.ts']) {
    const { outputText } = ts.transpileModule(readFileSync(join(PACKAGE, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    })
    const out = join(work, file.replace(/\.ts$/, '.js'))
    mkdirSync(dirname(out), { recursive: true, mode: 0o755 })
    writeFileSync(out, outputText, { mode: 0o644 })
  }
  mkdirSync(dirname(join(work, ADDON_FILE)), { recursive: true, mode: 0o755 })
  copyFileSync(ADDON, join(work, ADDON_FILE))
  chmodSync(join(work, ADDON_FILE), 0o755)
  const loader = join(work, 'node_modules/@fusekit/native-addon')
  for (const part of ['package.json', 'dist']) cpSync(join(NATIVE_ADDON, part), join(loader, part), { recursive: true })
  execFileSync('chmod', ['-R', 'a+rX', join(work, 'node_modules')])
  return join(work, 'src/lowlevel/kernel-mount.js')
}

beforeAll(() => {
  if (process.geteuid?.() !== 0) throw new Error('these tests mount as root and as another user: run them as root')
  if (!existsSync('/dev/fuse')) throw new Error('FUSE is not available here: /dev/fuse is missing (modprobe fuse)')
  const addon = createRequire(import.meta.url)(ADDON) as { fusermountMount?: unknown }
  if (typeof addon.fusermountMount !== 'function') {
    throw new Error(`${ADDON_FILE} lacks kernel-mount.c: run pnpm build in packages/core`)
  }
  ensureUser()
  work = mkdtempSync(join(tmpdir(), 'fusekit-kernel-mount-'))
  chmodSync(work, 0o755)
  modulePath = compileModule()
  devFuseMode = statSync('/dev/fuse').mode & 0o7777
  fuseConf = existsSync(FUSE_CONF) ? readFileSync(FUSE_CONF, 'utf8') : undefined
})

afterEach(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  started.clear()
  for (const mountpoint of mountpoints) if (mountLine(mountpoint)) spawnSync('umount', ['-l', mountpoint])
  // What each test may have changed; the user's /dev/fuse mode is set where a test needs it.
  chmodSync('/dev/fuse', devFuseMode)
  if (fuseConf !== undefined) writeFileSync(FUSE_CONF, fuseConf)
  else rmSync(FUSE_CONF, { force: true })
})

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

/** Debian's udev makes /dev/fuse crw-rw-rw-; fusermount 2.9 opens it as the calling user. */
function devFuseForUsers(usable: boolean): void {
  chmodSync('/dev/fuse', usable ? 0o666 : 0o600)
}

function newMountpoint(owner: 'user' | 'root' = 'user'): string {
  const path = join(work, `mnt-${++mountCount}`)
  mkdirSync(path, { mode: 0o755 })
  if (owner === 'user') chownSync(path, uid, gid)
  mountpoints.push(path)
  return path
}

/** The /proc/mounts line of `mountpoint`, split in fields. */
function mountLine(mountpoint: string): string[] | undefined {
  return readFileSync('/proc/mounts', 'utf8').split('\n').map((line) => line.split(' ')).find((fields) => fields[1] === mountpoint)
}

function asUser(command: string[]): string[] {
  return [setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', ...command]
}

function request(mountpoint: string, overrides: Partial<KernelMountRequest> = {}): KernelMountRequest {
  return { mountpoint, fsname: 'kernel-mount-test', subtype: 'kmtest', readOnly: false, allowOther: false, defaultPermissions: false, rawOptions: [], ...overrides }
}

interface ChildEvent {
  mounted?: boolean
  via?: string
  autoUnmount?: boolean
  allowRoot?: boolean
  descriptorsAdded?: number
  children?: number[]
  error?: { name: string; code: string; errno: number; message: string }
  unmounted?: boolean
  unmountError?: { name: string; code: string; message: string }
}

/** The fixture, mounting in its own process as USER (or root), and its JSON events. */
function startChild(mountRequest: KernelMountRequest, options: { as?: 'user' | 'root'; env?: NodeJS.ProcessEnv; prefix?: string[] } = {}) {
  const command = [process.execPath, FIXTURE, modulePath, JSON.stringify(mountRequest)]
  const [file, ...args] = [...(options.prefix ?? []), ...(options.as === 'root' ? command : asUser(command))] as [string, ...string[]]
  const child = spawn(file, args, { env: options.env ?? process.env, stdio: 'pipe' })
  started.add(child)
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const next = async (): Promise<ChildEvent> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the mounting process; its stderr: ${stderr}`)), 20_000)))
    const line = await Promise.race([lines.next(), timeout]).finally(() => clearTimeout(timer))
    if (line.done) throw new Error(`the mounting process ended; its stderr: ${stderr}`)
    return JSON.parse(line.value) as ChildEvent
  }
  const send = (command: string) => child.stdin.write(command + '\n')
  return { child, next, send }
}

/** `stat` of the mountpoint from another process: "type size uid", or the error. */
function statFrom(who: 'user' | 'root', mountpoint: string): { ok: boolean; text: string } {
  const command = ['stat', '-c', '%F %s %u', mountpoint]
  const [file, ...args] = (who === 'user' ? asUser(command) : command) as [string, ...string[]]
  const run = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 })
  return { ok: run.status === 0, text: (run.status === 0 ? run.stdout : run.stderr).trim() }
}

async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (condition()) return true
  }
  return condition()
}

function binDir(name: string): string {
  const dir = join(work, name)
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  return dir
}

describe('rawOptionProblem', () => {
  const generic = ['ro', 'rw', 'nosuid', 'nodev', 'noexec', 'exec', 'sync', 'async', 'noatime', 'atime', 'dirsync', 'allow_other', 'default_permissions', 'max_read=65536', 'nonempty', 'auto_unmount']

  it('accepts the generic mount flags and the FUSE options on both paths', () => {
    expect(rawOptionProblem(generic, true)).toBeUndefined()
    expect(rawOptionProblem(generic, false)).toBeUndefined()
    expect(rawOptionProblem(['allow_root'], false)).toBeUndefined()
  })

  it('names every refused option with its reason in one line', () => {
    const problem = rawOptionProblem(['noatime', 'suid', 'relatime', 'bogus', 'max_read=0', 'blksize=4096', 'fsname=x'], false)
    expect(problem).toBe(
      "raw mount options refused by the low-level driver: 'suid' (needs root: fusermount ignores it for ordinary users), " +
        "'relatime' (needs root: fusermount does not know it), 'bogus' (unknown to the low-level driver), " +
        "'max_read=0' (needs a positive integer: max_read=N), 'blksize=4096' (only for block-device mounts, fuseblk), " +
        "'fsname=x' (set it with the mount's fsname, --fsname)",
    )
  })

  it('takes root-only flags from root, unless auto_unmount sends the mount through fusermount', () => {
    expect(rawOptionProblem(['suid', 'dev', 'nodiratime', 'relatime', 'strictatime'], true)).toBeUndefined()
    expect(rawOptionProblem(['auto_unmount', 'suid', 'relatime'], true)).toBe(
      "raw mount option refused by the low-level driver: 'relatime' (fusermount, used for auto_unmount, does not know it)",
    )
    expect(rawOptionProblem(['allow_other', 'allow_root'], true)).toContain("'allow_other' and 'allow_root' (they exclude each other)")
  })

  it('lists the refused options themselves, for auto to say which sent the mount to libfuse', () => {
    expect(refusedRawOptions(['noatime', 'use_ino', 'attr_timeout=1'], true)).toEqual(['use_ino', 'attr_timeout=1'])
    expect(refusedRawOptions(['auto_unmount', 'suid', 'relatime'], true)).toEqual(['relatime'])
    expect(refusedRawOptions(['allow_other', 'allow_root'], true)).toEqual(['allow_other', 'allow_root'])
    expect(refusedRawOptions(['noatime', 'nosuid'], false)).toEqual([])
  })
})

describe('as root: mount(2)', () => {
  it('mounts with mount(2), raw options as mount flags and kernel options; the responder answers stat; unmount detaches', async () => {
    const mountpoint = newMountpoint('root')
    const { next, send } = startChild(
      request(mountpoint, { readOnly: true, defaultPermissions: true, rawOptions: ['noexec', 'noatime', 'nodiratime', 'allow_root', 'max_read=65536'] }),
      { as: 'root' },
    )
    expect(await next()).toMatchObject({ mounted: true, via: 'mount(2)', allowRoot: true, autoUnmount: false, descriptorsAdded: 1, children: [] })
    expect(mountLine(mountpoint)).toEqual([
      'kernel-mount-test', mountpoint, 'fuse.kmtest',
      'ro,nosuid,nodev,noexec,noatime,nodiratime,user_id=0,group_id=0,default_permissions,allow_other,max_read=65536', '0', '0',
    ])
    expect(statFrom('root', mountpoint)).toEqual({ ok: true, text: 'directory 4242 0' })
    send('unmount')
    expect(await next()).toMatchObject({ unmounted: true })
    expect(mountLine(mountpoint)).toBeUndefined()
    send('unmount')
    expect((await next()).unmountError).toEqual({ name: 'FsError', code: 'EINVAL', message: `EINVAL: ${mountpoint} is not mounted` })
  })

  it('refuses a bad raw option before anything is mounted, naming it', () => {
    const mountpoint = newMountpoint('root')
    const attempt = () => openKernelConnection(request(mountpoint, { rawOptions: ['noatime', 'bogus=1'] }))
    expect(attempt).toThrow(FsError)
    expect(attempt).toThrow("EINVAL: raw mount option refused by the low-level driver: 'bogus=1' (unknown to the low-level driver)")
    expect(mountLine(mountpoint)).toBeUndefined()
  })

  it('refuses a non-empty mountpoint like fusermount does, unless nonempty is given', () => {
    const mountpoint = newMountpoint('root')
    writeFileSync(join(mountpoint, 'file'), 'x')
    expect(() => openKernelConnection(request(mountpoint))).toThrow(`ENOTEMPTY: mountpoint ${mountpoint} is not empty: the mount would hide its files (-o nonempty mounts over them)`)
    expect(mountLine(mountpoint)).toBeUndefined()
    const connection = openKernelConnection(request(mountpoint, { rawOptions: ['nonempty'] }))
    try {
      expect(connection.via).toBe('mount(2)')
      expect(mountLine(mountpoint)?.[2]).toBe('fuse.kmtest')
    } finally {
      connection.unmount()
      closeSync(connection.fd)
    }
    expect(mountLine(mountpoint)).toBeUndefined()
  })

  it('says how to get /dev/fuse when it is missing (a mount namespace whose /dev lacks it)', async () => {
    const mountpoint = newMountpoint('root')
    const setup = 'mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && exec "$@"'
    const prefix = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', setup, 'sh']
    const { next } = startChild(request(mountpoint), { as: 'root', prefix })
    expect((await next()).error).toMatchObject({
      code: 'ENODEV',
      message: 'ENODEV: /dev/fuse is missing: load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse',
    })
  })

  it('says why mount(2) failed: root without CAP_SYS_ADMIN over the mount namespace (a user namespace)', async () => {
    const mountpoint = newMountpoint('root')
    const { next } = startChild(request(mountpoint), { as: 'root', prefix: ['unshare', '--user', '--map-root-user'] })
    expect((await next()).error).toMatchObject({
      code: 'EPERM',
      message: `EPERM: mount(2) of ${mountpoint} failed: Operation not permitted (root without CAP_SYS_ADMIN (a container?): give it --cap-add SYS_ADMIN)`,
    })
    expect(mountLine(mountpoint)).toBeUndefined()
  })

  it('mounts through fusermount for auto_unmount, whose helper unmounts when the process is killed', async () => {
    const mountpoint = newMountpoint('root')
    const { child, next } = startChild(request(mountpoint, { rawOptions: ['auto_unmount'] }), { as: 'root' })
    const mounted = await next()
    expect(mounted).toMatchObject({ mounted: true, via: 'fusermount', autoUnmount: true, descriptorsAdded: 2 })
    expect(mounted.children).toHaveLength(1)
    expect(statFrom('root', mountpoint)).toEqual({ ok: true, text: 'directory 4242 0' })
    child.kill('SIGKILL')
    expect(await waitFor(() => mountLine(mountpoint) === undefined, 5000)).toBe(true)
  })
})

describe('as an ordinary user: fusermount', () => {
  it("mounts through fusermount with the raw options; the user sees the responder's root, root is kept out; unmount runs fusermount -u -z", async () => {
    devFuseForUsers(true)
    const mountpoint = newMountpoint()
    const { next, send } = startChild(request(mountpoint, { fsname: 'kernel,mount', readOnly: true, rawOptions: ['noexec', 'noatime', 'max_read=65536'] }))
    // One descriptor more (/dev/fuse), and fusermount already reaped.
    expect(await next()).toMatchObject({ mounted: true, via: 'fusermount', autoUnmount: false, allowRoot: false, descriptorsAdded: 1, children: [] })
    expect(mountLine(mountpoint)).toEqual([
      'kernel,mount', mountpoint, 'fuse.kmtest', `ro,nosuid,nodev,noexec,noatime,user_id=${uid},group_id=${gid},max_read=65536`, '0', '0',
    ])
    expect(statFrom('user', mountpoint)).toEqual({ ok: true, text: `directory 4242 ${uid}` })
    const fromRoot = statFrom('root', mountpoint)
    expect(fromRoot.ok).toBe(false)
    expect(fromRoot.text).toContain('Permission denied')
    send('unmount')
    expect(await next()).toMatchObject({ unmounted: true, children: [] })
    expect(mountLine(mountpoint)).toBeUndefined()
    send('unmount')
    const again = (await next()).unmountError
    expect(again?.code).toBe('EINVAL')
    expect(again?.message).toMatch(new RegExp(`^EINVAL: ${mountpoint} is not mounted \\(fusermount: .*\\)$`))
  })

  it('refuses a raw option fusermount would ignore before running it', async () => {
    devFuseForUsers(true)
    const mountpoint = newMountpoint()
    const { next } = startChild(request(mountpoint, { rawOptions: ['suid'] }))
    expect(await next()).toMatchObject({
      error: { code: 'EINVAL', message: "EINVAL: raw mount option refused by the low-level driver: 'suid' (needs root: fusermount ignores it for ordinary users)" },
      descriptorsAdded: 0,
      children: [],
    })
    expect(mountLine(mountpoint)).toBeUndefined()
  })

  it("passes fusermount's refusal of allow_other on in one line; with user_allow_other, allow_root mounts and lets root in", async () => {
    devFuseForUsers(true)
    writeFileSync(FUSE_CONF, (fuseConf ?? '').replace(/^user_allow_other\s*$/gm, '#user_allow_other'))
    const refused = newMountpoint()
    const first = startChild(request(refused, { allowOther: true }))
    expect(await first.next()).toMatchObject({
      error: {
        code: 'EPERM',
        message:
          "EPERM: fusermount: option allow_other only allowed if 'user_allow_other' is set in /etc/fuse.conf " +
          '(add the line user_allow_other to /etc/fuse.conf (as root), or mount without allow_other/allow_root)',
      },
      descriptorsAdded: 0,
      children: [],
    })
    expect(mountLine(refused)).toBeUndefined()

    writeFileSync(FUSE_CONF, `${fuseConf ?? ''}\nuser_allow_other\n`)
    const allowed = newMountpoint()
    const second = startChild(request(allowed, { rawOptions: ['allow_root'] }))
    expect(await second.next()).toMatchObject({ mounted: true, via: 'fusermount', allowRoot: true })
    expect(mountLine(allowed)?.[3]).toBe(`rw,nosuid,nodev,relatime,user_id=${uid},group_id=${gid},allow_other`)
    expect(statFrom('root', allowed)).toEqual({ ok: true, text: `directory 4242 ${uid}` })
    second.send('unmount')
    expect(await second.next()).toMatchObject({ unmounted: true })
  })

  it("passes fusermount's refusal of a mountpoint the user may not write to, or that is missing", async () => {
    devFuseForUsers(true)
    const mountpoint = newMountpoint('root')
    const { next } = startChild(request(mountpoint))
    expect((await next()).error).toMatchObject({
      code: 'EACCES',
      message: `EACCES: fusermount: user has no write access to mountpoint ${mountpoint} (mount on a directory this user owns and may write to)`,
    })
    const missing = join(work, 'missing')
    const second = startChild(request(missing))
    // The errno comes from the description that ends fusermount's line.
    expect((await second.next()).error).toMatchObject({
      code: 'ENOENT',
      message: `ENOENT: fusermount: failed to access mountpoint ${missing}: No such file or directory`,
    })
  })

  it("passes fusermount's mount_max limit on", async () => {
    devFuseForUsers(true)
    writeFileSync(FUSE_CONF, `${fuseConf ?? ''}\nmount_max = 0\n`)
    const mountpoint = newMountpoint()
    const { next } = startChild(request(mountpoint))
    expect(await next()).toMatchObject({
      error: { code: 'EMFILE', message: 'EMFILE: fusermount: too many FUSE filesystems mounted; mount_max=N can be set in /etc/fuse.conf (unmount some first)' },
      descriptorsAdded: 0,
      children: [],
    })
    expect(mountLine(mountpoint)).toBeUndefined()
  })

  it('says what to install when fusermount is missing, and that /dev/fuse must be usable', async () => {
    const env = { ...process.env, PATH: binDir('empty-bin') }
    devFuseForUsers(false)
    const locked = startChild(request(newMountpoint()), { env })
    expect((await locked.next()).error).toMatchObject({
      code: 'EACCES',
      message:
        "EACCES: /dev/fuse cannot be opened by this user and fusermount is missing: install Debian's fuse package (apt-get install -y fuse), " +
        "which provides the setuid fusermount, and give users read and write access to /dev/fuse (chmod 0666 /dev/fuse, as udev's rule for it does); or mount as root",
    })
    devFuseForUsers(true)
    const open = startChild(request(newMountpoint()), { env })
    expect((await open.next()).error).toMatchObject({
      code: 'ENOENT',
      message: "ENOENT: fusermount is missing (ordinary users mount through it): install Debian's fuse package (apt-get install -y fuse); or mount as root",
    })
  })

  it("passes fusermount's failure to open a /dev/fuse the user may not use, with what to do", async () => {
    devFuseForUsers(false)
    const { next } = startChild(request(newMountpoint()))
    expect(await next()).toMatchObject({
      error: {
        code: 'EACCES',
        message:
          'EACCES: fusermount: failed to open /dev/fuse: Permission denied (fusermount opens /dev/fuse as the calling user: ' +
          "give users read and write access to /dev/fuse (chmod 0666 /dev/fuse, as udev's rule for it does))",
      },
      descriptorsAdded: 0,
      children: [],
    })
  })

  it('refuses a fusermount that is not setuid root, saying how to fix it', async () => {
    devFuseForUsers(true)
    const dir = binDir('plain-bin')
    copyFileSync('/usr/bin/fusermount', join(dir, 'fusermount'))
    chmodSync(join(dir, 'fusermount'), 0o755)
    const { next } = startChild(request(newMountpoint()), { env: { ...process.env, PATH: dir } })
    expect((await next()).error).toMatchObject({
      code: 'EPERM',
      message: `EPERM: ${dir}/fusermount is not setuid root, so it cannot mount for this user: chmod u+s ${dir}/fusermount (as root), or reinstall Debian's fuse package (apt-get install --reinstall fuse)`,
    })
  })

  it('gives up on a fusermount that never answers, leaving no process or descriptor behind', async () => {
    devFuseForUsers(true)
    // A stand-in that hangs: setuid root in its mode (the kernel ignores it on scripts).
    const dir = binDir('hang-bin')
    writeFileSync(join(dir, 'fusermount'), '#!/bin/sh\necho fusermount: thinking >&2\nexec /bin/sleep 600\n')
    chmodSync(join(dir, 'fusermount'), 0o4755)
    const t0 = Date.now()
    const { next } = startChild(request(newMountpoint(), { timeoutMs: 1000 }), { env: { ...process.env, PATH: dir } })
    expect(await next()).toMatchObject({
      error: {
        code: 'ETIMEDOUT',
        message: `ETIMEDOUT: ${dir}/fusermount did not answer within 1000 ms and was stopped (it said: fusermount: thinking); is the mountpoint on a filesystem that hangs?`,
      },
      descriptorsAdded: 0,
      children: [],
    })
    expect(Date.now() - t0).toBeLessThan(8000)
  })

  it('auto_unmount: a helper stays, and unmounts when the mounting process is killed', async () => {
    devFuseForUsers(true)
    const mountpoint = newMountpoint()
    const { child, next } = startChild(request(mountpoint, { rawOptions: ['auto_unmount'] }))
    const mounted = await next()
    // /dev/fuse and our end of the helper's socket.
    expect(mounted).toMatchObject({ mounted: true, via: 'fusermount', autoUnmount: true, descriptorsAdded: 2 })
    expect(mounted.children).toHaveLength(1)
    const helper = mounted.children?.[0] as number
    expect(readFileSync(`/proc/${helper}/cmdline`, 'utf8').split('\0')).toEqual(['fusermount', '-o', 'fsname=kernel-mount-test,subtype=kmtest,auto_unmount', '--', mountpoint, ''])
    expect(statFrom('user', mountpoint)).toEqual({ ok: true, text: `directory 4242 ${uid}` })
    child.kill('SIGKILL')
    expect(await waitFor(() => mountLine(mountpoint) === undefined, 5000)).toBe(true)
    expect(await waitFor(() => !existsSync(`/proc/${helper}`), 5000)).toBe(true)
  })

  it.each(['user', 'root'] as const)('auto_unmount: unmount() unmounts and reaps the helper (as %s)', async (as) => {
    devFuseForUsers(true)
    const mountpoint = newMountpoint(as)
    const { next, send } = startChild(request(mountpoint, { rawOptions: ['auto_unmount'] }), { as })
    expect(await next()).toMatchObject({ mounted: true, via: 'fusermount', autoUnmount: true })
    send('unmount')
    expect(await next()).toMatchObject({ unmounted: true, children: [] })
    expect(mountLine(mountpoint)).toBeUndefined()
  })
})
