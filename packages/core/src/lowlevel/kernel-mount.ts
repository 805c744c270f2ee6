import { spawnSync } from 'node:child_process'
import { accessSync, constants as fsConstants, readdirSync, statSync, type Stats } from 'node:fs'
import { delimiter, isAbsolute, join } from 'node:path'
import { FsError, mapErrno, type ErrnoName } from '../errno.js'
import { sessionAddon, type FusermountResult, type SessionAddon } from './session-addon.js'

/** What to mount where, for the low-level driver. */
export interface KernelMountRequest {
  /** Absolute path. */
  mountpoint: string
  fsname: string
  subtype: string
  readOnly: boolean
  allowOther: boolean
  defaultPermissions: boolean
  /** Raw -o options from the user (e.g. 'nonempty', 'noatime', 'allow_root', 'auto_unmount'). */
  rawOptions: readonly string[]
  /** Largest read the kernel may send (max_read); optional. */
  maxRead?: number
  /** How long fusermount may take before the mount gives up and stops it (default 10 000 ms). */
  timeoutMs?: number
}

/** An open /dev/fuse connection to a mounted filesystem. */
export interface KernelConnection {
  /** The /dev/fuse descriptor (close-on-exec, blocking); the caller closes it. */
  fd: number
  /** How it was mounted. */
  via: 'mount(2)' | 'fusermount'
  /**
   * allow_root was given: the kernel lets every user in (allow_other), and the session must answer
   * EACCES to requests whose uid is neither the mounting user's nor 0, as libfuse does.
   */
  allowRoot: boolean
  /**
   * auto_unmount is in effect: a fusermount process waits and unmounts if this process dies (or
   * when unmount() lets it go).
   */
  autoUnmount: boolean
  /** Detaches the mount (lazily); throws an FsError when it is not mounted. Does not close `fd`. */
  unmount(): void
  /**
   * For a session the kernel already ended (unmounted from outside): lets an auto_unmount helper
   * go and unmounts nothing, since whatever is mounted at the path now is not this mount.
   */
  release(): void
}

const DEFAULT_TIMEOUT_MS = 10_000
/** How long an unmount, or an auto_unmount helper letting go, may take. */
const UNMOUNT_TIMEOUT_MS = 10_000

// <sys/mount.h>
const MS_RDONLY = 0x1
const MS_NOSUID = 0x2
const MS_NODEV = 0x4
const MS_NOEXEC = 0x8
const MS_SYNCHRONOUS = 0x10
const MS_DIRSYNC = 0x80
const MS_NOATIME = 0x400
const MS_NODIRATIME = 0x800
const MS_RELATIME = 0x200000
const MS_STRICTATIME = 0x1000000
/** <sys/stat.h>; node:fs has no constant for it. */
const S_ISUID = 0o4000

/** Options that are mount flags: the flag, and whether the option sets or clears it. */
const MOUNT_FLAGS: Readonly<Record<string, readonly [number, boolean]>> = {
  ro: [MS_RDONLY, true],
  rw: [MS_RDONLY, false],
  nosuid: [MS_NOSUID, true],
  suid: [MS_NOSUID, false],
  nodev: [MS_NODEV, true],
  dev: [MS_NODEV, false],
  noexec: [MS_NOEXEC, true],
  exec: [MS_NOEXEC, false],
  sync: [MS_SYNCHRONOUS, true],
  async: [MS_SYNCHRONOUS, false],
  noatime: [MS_NOATIME, true],
  atime: [MS_NOATIME, false],
  dirsync: [MS_DIRSYNC, true],
  nodiratime: [MS_NODIRATIME, true],
  relatime: [MS_RELATIME, true],
  strictatime: [MS_STRICTATIME, true],
}
/** Flags fusermount 2.9 calls unknown options. */
const NOT_FOR_FUSERMOUNT = new Set(['nodiratime', 'relatime', 'strictatime'])
/** Flags fusermount ignores ("unsafe option ignored") for ordinary users. */
const ROOT_ONLY = new Set(['suid', 'dev'])
/** Options without a value that are not mount flags. */
const SWITCHES = new Set(['allow_other', 'allow_root', 'default_permissions', 'nonempty', 'auto_unmount'])
/** Why some options that libfuse or mount(8) know are refused. */
const REFUSED: Readonly<Record<string, string>> = {
  fsname: 'set it with the mount\'s fsname, --fsname',
  subtype: 'the mount\'s subtype sets it',
  fd: 'set by the driver',
  rootmode: 'set by the driver',
  user_id: 'set by the driver',
  group_id: 'set by the driver',
  blksize: 'only for block-device mounts, fuseblk',
  blkdev: 'block-device mounts, fuseblk, are not supported',
  user: 'set by fusermount',
}

function parseOption(raw: string): { name: string; value: string | undefined } {
  const equals = raw.indexOf('=')
  return equals < 0 ? { name: raw, value: undefined } : { name: raw.slice(0, equals), value: raw.slice(equals + 1) }
}

/** Why one raw option is refused, or undefined. `viaFusermount`: the mount will go through fusermount. */
function optionProblem(raw: string, asRoot: boolean, viaFusermount: boolean): string | undefined {
  const { name, value } = parseOption(raw)
  if (name === 'max_read') return value !== undefined && /^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= 0xffffffff ? undefined : 'needs a positive integer: max_read=N'
  const refused = REFUSED[name]
  if (refused) return refused
  const known = name in MOUNT_FLAGS || SWITCHES.has(name)
  if (!known) return 'unknown to the low-level driver'
  if (value !== undefined) return 'takes no value'
  if (viaFusermount && NOT_FOR_FUSERMOUNT.has(name)) return asRoot ? 'fusermount, used for auto_unmount, does not know it' : 'needs root: fusermount does not know it'
  if (!asRoot && ROOT_ONLY.has(name)) return 'needs root: fusermount ignores it for ordinary users'
  return undefined
}

/**
 * The raw -o options the low-level driver accepts (validated up front, so a bad one fails before
 * anything is mounted): undefined when all are fine, else a one-line reason naming the bad ones.
 */
export function rawOptionProblem(rawOptions: readonly string[], asRoot: boolean): string | undefined {
  const problems = refusals(rawOptions, asRoot).map(({ options, why }) => `${options.map((o) => `'${o}'`).join(' and ')} (${why})`)
  return problems.length ? `raw mount option${problems.length > 1 ? 's' : ''} refused by the low-level driver: ${problems.join(', ')}` : undefined
}

/** The raw -o options the low-level driver refuses (libfuse's own, as `use_ino`, among them). */
export function refusedRawOptions(rawOptions: readonly string[], asRoot: boolean): string[] {
  return refusals(rawOptions, asRoot).flatMap(({ options }) => options)
}

/** Each refused raw option, or pair of options, with why. */
function refusals(rawOptions: readonly string[], asRoot: boolean): Array<{ options: string[]; why: string }> {
  const viaFusermount = !asRoot || rawOptions.includes('auto_unmount')
  const refused = rawOptions.flatMap((raw) => {
    const why = raw === '' ? 'empty' : optionProblem(raw, asRoot, viaFusermount)
    return why ? [{ options: [raw], why }] : []
  })
  if (rawOptions.includes('allow_other') && rawOptions.includes('allow_root')) refused.push({ options: ['allow_other', 'allow_root'], why: 'they exclude each other' })
  return refused
}

/** The request's options sorted out: mount flags, kernel options and the mountpoint checks. */
interface MountPlan {
  /** Options in the order mount flags apply (later ones win): the request's first, then raw ones. */
  flagOptions: string[]
  allowOther: boolean
  allowRoot: boolean
  defaultPermissions: boolean
  maxRead: number | undefined
  nonempty: boolean
  autoUnmount: boolean
}

function plan(request: KernelMountRequest): MountPlan {
  const raw = request.rawOptions
  const maxReadOption = raw.map(parseOption).filter((o) => o.name === 'max_read').pop()
  return {
    flagOptions: [...(request.readOnly ? ['ro'] : []), ...raw.filter((o) => o in MOUNT_FLAGS)],
    allowOther: request.allowOther || raw.includes('allow_other'),
    allowRoot: raw.includes('allow_root'),
    defaultPermissions: request.defaultPermissions || raw.includes('default_permissions'),
    maxRead: maxReadOption ? Number(maxReadOption.value) : request.maxRead,
    nonempty: raw.includes('nonempty'),
    autoUnmount: raw.includes('auto_unmount'),
  }
}

/**
 * Mounts a FUSE filesystem for the low-level driver and returns its /dev/fuse descriptor. As root
 * (euid 0) with mount(2) itself; otherwise, and for auto_unmount, through the setuid `fusermount`
 * helper found on PATH (Debian's `fuse` package), which hands the descriptor back over a socket.
 */
export function openKernelConnection(request: KernelMountRequest): KernelConnection {
  if (!isAbsolute(request.mountpoint)) throw new FsError('EINVAL', `mountpoint ${request.mountpoint} is not an absolute path`)
  const asRoot = process.geteuid?.() === 0
  const problem = rawOptionProblem(request.rawOptions, asRoot)
  if (problem) throw new FsError('EINVAL', problem)
  const mount = plan(request)
  if (mount.allowRoot && request.allowOther) throw new FsError('EINVAL', 'allow_root and allow_other exclude each other: give one')
  if (mount.maxRead !== undefined && !(Number.isInteger(mount.maxRead) && mount.maxRead > 0)) throw new FsError('EINVAL', `max_read must be a positive integer, not ${mount.maxRead}`)
  if (request.timeoutMs !== undefined && !(Number.isInteger(request.timeoutMs) && request.timeoutMs > 0 && request.timeoutMs < 2 ** 31)) {
    throw new FsError('EINVAL', `timeoutMs must be a positive integer of milliseconds, not ${request.timeoutMs}`)
  }
  if (!existsDevFuse()) throw new FsError('ENODEV', '/dev/fuse is missing: load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse')
  return asRoot && !mount.autoUnmount ? mountDirectly(request, mount) : mountWithFusermount(request, mount, asRoot)
}

function existsDevFuse(): boolean {
  try {
    statSync('/dev/fuse')
    return true
  } catch {
    return false
  }
}

function mountDirectly(request: KernelMountRequest, mount: MountPlan): KernelConnection {
  const { mountpoint } = request
  const info = mountpointInfo(mountpoint)
  // fusermount's check, so that both paths behave alike (the kernel has none).
  if (info.isDirectory() && !mount.nonempty && readdirSync(mountpoint).length > 0) {
    throw new FsError('ENOTEMPTY', `mountpoint ${mountpoint} is not empty: the mount would hide its files (-o nonempty mounts over them)`)
  }
  let flags = MS_NOSUID | MS_NODEV
  for (const option of mount.flagOptions) {
    const [flag, on] = MOUNT_FLAGS[option] as readonly [number, boolean]
    flags = on ? flags | flag : flags & ~flag
  }
  const data = [`rootmode=${((info.mode & fsConstants.S_IFMT) >>> 0).toString(8)}`, `user_id=${process.geteuid?.() ?? 0}`, `group_id=${process.getegid?.() ?? 0}`]
  if (mount.allowOther || mount.allowRoot) data.push('allow_other')
  if (mount.defaultPermissions) data.push('default_permissions')
  if (mount.maxRead !== undefined) data.push(`max_read=${mount.maxRead}`)
  const native = sessionAddon()
  let fd: number
  try {
    fd = native.kernelMount(mountpoint, request.fsname, `fuse.${request.subtype}`, flags, data.join(','))
  } catch (error) {
    throw mountFailure(error, mountpoint, data.join(','))
  }
  return {
    fd,
    via: 'mount(2)',
    allowRoot: mount.allowRoot,
    autoUnmount: false,
    unmount: () => unmountDirectly(native, mountpoint),
    release: () => {},
  }
}

function mountpointInfo(mountpoint: string): Stats {
  try {
    return statSync(mountpoint)
  } catch (error) {
    const failure = mapErrno(error)
    if (failure?.code === 'ENOENT') throw new FsError('ENOENT', `mountpoint ${mountpoint} does not exist: create it with mkdir first`)
    throw failure ? new FsError(failure.errno, `mountpoint ${mountpoint}: ${(error as Error).message}`) : error
  }
}

/** An error of the addon's kernelMount as an FsError that says what to do. */
function mountFailure(error: unknown, mountpoint: string, data: string): unknown {
  const failure = mapErrno(error)
  if (!failure) return error
  const message = (error as Error).message
  if (message.startsWith('open /dev/fuse')) {
    if (failure.code === 'ENOENT' || failure.code === 'ENODEV' || failure.code === 'ENXIO') {
      return new FsError('ENODEV', `${message}: load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse`)
    }
    return new FsError(failure.errno, message)
  }
  const hints: Partial<Record<string, string>> = {
    EPERM: 'root without CAP_SYS_ADMIN (a container?): give it --cap-add SYS_ADMIN',
    ENODEV: 'the kernel has no FUSE filesystem: modprobe fuse',
    EINVAL: `the kernel refused the options ${data}`,
    ENOENT: 'the mountpoint does not exist',
    ENOTDIR: 'a component of the mountpoint path is not a directory',
  }
  const hint = hints[failure.code]
  return new FsError(failure.errno, `mount(2) of ${mountpoint} failed: ${message.replace(/^mount: /, '')}${hint ? ` (${hint})` : ''}`)
}

function unmountDirectly(native: SessionAddon, mountpoint: string): void {
  try {
    native.unmount(mountpoint)
  } catch (error) {
    const failure = mapErrno(error)
    if (failure?.code === 'EINVAL') throw new FsError('EINVAL', `${mountpoint} is not mounted`)
    throw failure ? new FsError(failure.errno, `unmounting ${mountpoint} failed: ${(error as Error).message}`) : error
  }
}

/** An executable `fusermount` on PATH (never fusermount3: its protocol differs). */
function findFusermount(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue
    const path = join(dir, 'fusermount')
    try {
      accessSync(path, fsConstants.X_OK)
      if (statSync(path).isFile()) return path
    } catch {
      // not here
    }
  }
  return undefined
}

function devFuseUsable(): boolean {
  try {
    accessSync('/dev/fuse', fsConstants.R_OK | fsConstants.W_OK)
    return true
  } catch {
    return false
  }
}

const DEV_FUSE_ACCESS = "give users read and write access to /dev/fuse (chmod 0666 /dev/fuse, as udev's rule for it does)"

/** The fusermount to run, or an FsError saying what is missing. */
function usableFusermount(asRoot: boolean): string {
  const path = findFusermount()
  if (!path) {
    if (asRoot) throw new FsError('ENOENT', "auto_unmount needs fusermount, which is missing: install Debian's fuse package (apt-get install -y fuse), or mount without auto_unmount")
    if (!devFuseUsable()) {
      throw new FsError('EACCES', `/dev/fuse cannot be opened by this user and fusermount is missing: install Debian's fuse package (apt-get install -y fuse), which provides the setuid fusermount, and ${DEV_FUSE_ACCESS}; or mount as root`)
    }
    throw new FsError('ENOENT', "fusermount is missing (ordinary users mount through it): install Debian's fuse package (apt-get install -y fuse); or mount as root")
  }
  const info = statSync(path)
  if (!asRoot && !(info.uid === 0 && (info.mode & S_ISUID) !== 0)) {
    throw new FsError('EPERM', `${path} is not setuid root, so it cannot mount for this user: chmod u+s ${path} (as root), or reinstall Debian's fuse package (apt-get install --reinstall fuse)`)
  }
  return path
}

/** fusermount unescapes `\,` and `\\` in fsname and subtype. */
function escapeOption(value: string): string {
  return value.replace(/[\\,]/g, (c) => `\\${c}`)
}

function fusermountOptions(request: KernelMountRequest, mount: MountPlan): string {
  const options = [`fsname=${escapeOption(request.fsname)}`, `subtype=${escapeOption(request.subtype)}`, ...mount.flagOptions]
  // fusermount 2.9 knows allow_root only to refuse it: the kernel option is allow_other.
  if (mount.allowOther || mount.allowRoot) options.push('allow_other')
  if (mount.defaultPermissions) options.push('default_permissions')
  if (mount.maxRead !== undefined) options.push(`max_read=${mount.maxRead}`)
  if (mount.nonempty) options.push('nonempty')
  if (mount.autoUnmount) options.push('auto_unmount')
  return options.join(',')
}

function mountWithFusermount(request: KernelMountRequest, mount: MountPlan, asRoot: boolean): KernelConnection {
  const path = usableFusermount(asRoot)
  const native = sessionAddon()
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS
  let result: FusermountResult
  try {
    result = native.fusermountMount(path, fusermountOptions(request, mount), request.mountpoint, timeoutMs, mount.autoUnmount)
  } catch (error) {
    const failure = mapErrno(error)
    throw failure ? new FsError(failure.errno, `running ${path} failed: ${(error as Error).message}`) : error
  }
  if (result.fd < 0) throw fusermountFailure(result, path, timeoutMs)
  let helper = result.pid > 0 ? { pid: result.pid, socket: result.socket } : undefined
  const release = () => {
    if (!helper) return
    // Its own unmount attempt finds nothing left; reaped here so that it can outlive nothing.
    native.releaseHelper(helper.pid, helper.socket, UNMOUNT_TIMEOUT_MS)
    helper = undefined
  }
  return {
    fd: result.fd,
    via: 'fusermount',
    allowRoot: mount.allowRoot,
    autoUnmount: helper !== undefined,
    unmount: () => {
      try {
        if (asRoot) unmountDirectly(native, request.mountpoint)
        else unmountWithFusermount(path, request.mountpoint)
      } finally {
        release()
      }
    },
    release,
  }
}

/** What fusermount says, mapped to an errno and what to do about it. */
const FUSERMOUNT_REASONS: ReadonlyArray<readonly [RegExp, ErrnoName, string?]> = [
  [/only allowed if 'user_allow_other' is set/, 'EPERM', 'add the line user_allow_other to /etc/fuse.conf (as root), or mount without allow_other/allow_root'],
  [/failed to open \/dev\/fuse: Permission denied/, 'EACCES', `fusermount opens /dev/fuse as the calling user: ${DEV_FUSE_ACCESS}`],
  [/fuse device not found/, 'ENODEV', 'load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse'],
  [/not owned by user|no write access to mountpoint/, 'EACCES', 'mount on a directory this user owns and may write to'],
  [/too many FUSE filesystems mounted/, 'EMFILE', 'unmount some first'],
  [/mountpoint is not empty/, 'ENOTEMPTY'],
  [/unknown option/, 'EINVAL'],
  [/is forbidden/, 'EPERM'],
]

function outputLines(output: string): string {
  return output.split('\n').map((line) => line.trim()).filter(Boolean).join('; ')
}

function fusermountFailure(result: FusermountResult, path: string, timeoutMs: number): FsError {
  const said = outputLines(result.output)
  if (result.timedOut) {
    return new FsError('ETIMEDOUT', `${path} did not answer within ${timeoutMs} ms and was stopped${said ? ` (it said: ${said})` : ''}; is the mountpoint on a filesystem that hangs?`)
  }
  const reason = FUSERMOUNT_REASONS.find(([pattern]) => pattern.test(result.output))
  if (reason) return new FsError(reason[1], reason[2] ? `${said} (${reason[2]})` : said)
  if (said) return new FsError(result.errno || 'EIO', said)
  if (result.signal) return new FsError('EIO', `${path} was killed by signal ${result.signal}`)
  if (result.status === 0) return new FsError('EIO', `${path} exited without handing over the /dev/fuse descriptor`)
  return new FsError('EIO', `${path} exited with status ${result.status} without saying why`)
}

/** `fusermount -u -z`: lazy, like the root path's umount2(MNT_DETACH). */
function unmountWithFusermount(path: string, mountpoint: string): void {
  // argv0 as for the mount, so that its messages start with "fusermount:".
  const run = spawnSync(path, ['-u', '-z', '--', mountpoint], { argv0: 'fusermount', encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: UNMOUNT_TIMEOUT_MS })
  if (run.error) {
    const failure = mapErrno(run.error)
    throw new FsError(failure?.errno ?? 'EIO', `running ${path} -u -z ${mountpoint} failed: ${run.error.message}`)
  }
  if (run.status === 0) return
  const said = outputLines(`${run.stderr}\n${run.stdout}`)
  if (/not found in|Invalid argument/.test(said)) throw new FsError('EINVAL', `${mountpoint} is not mounted (${said})`)
  throw new FsError('EIO', said || `${path} -u -z ${mountpoint} exited with status ${run.status ?? `signal ${run.signal}`}`)
}
