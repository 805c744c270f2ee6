import { FsError } from './errno.js'
import { unknownToLibfuse } from './fuse-native/libfuse-options.js'
import { rawOptionProblem, refusedRawOptions } from './lowlevel/kernel-mount.js'

const DRIVERS = ['auto', 'fuse-native', 'lowlevel'] as const
const HOT_LOOP_WAYS = ['off', 'cpu-latency', 'event-loop'] as const
const READDIRPLUS_MODES = ['auto', 'always', 'off'] as const

/** How a filesystem is mounted. Every field has a default; backends may change the defaults. */
export interface MountOptions {
  /** Shown as the source in /proc/mounts and `df`. */
  fsname: string
  /** Shown as the type: fuse.<subtype>. */
  subtype: string
  readOnly: boolean
  /** Let other users see the mount (needs root or user_allow_other in /etc/fuse.conf). */
  allowOther: boolean
  /** Let the kernel check permissions from the mode bits (the binding gives no caller identity). */
  defaultPermissions: boolean
  /** Seconds the kernel may cache attributes. */
  attrTimeout: number
  /** Seconds the kernel may cache name lookups. */
  entryTimeout: number
  /** Seconds the kernel may cache a failed lookup. */
  negativeTimeout: number
  /** Keep file pages cached across opens: right when every change goes through the mount. */
  kernelCache: boolean
  /** Drop cached pages when size or mtime changed: right when the data can change underneath. */
  autoCache: boolean
  /**
   * The kernel buffers writes in its page cache and sends them in large batches, keeping size and
   * mtime itself meanwhile (FUSE_WRITEBACK_CACHE; low-level driver only). Right only when every
   * change goes through the mount: another writer's changes would be overwritten.
   */
  writebackCache: boolean
  /**
   * Requests and replies over io_uring instead of reads and writes of /dev/fuse (low-level driver;
   * Linux 6.14+ with fuse.ko's enable_uring switched on, which a mount never does itself: without
   * it the mount reads /dev/fuse and says why in one line).
   */
  ioUring: boolean
  /**
   * When listings carry each entry's attributes (READDIRPLUS; low-level driver): 'auto' (the
   * default: the kernel asks for them in a directory's first buffer, and after a lookup in it),
   * 'always' (every buffer: `ls -l`, `find -ls`, `du` of a large directory need no LOOKUP per
   * entry, but a listing that stats nothing makes the kernel build an inode per entry), or
   * 'off' (plain READDIR, as libfuse 2).
   */
  readdirplus: (typeof READDIRPLUS_MODES)[number]
  /**
   * Largest write request in bytes: 1 MiB by default with the low-level driver, 128 KiB (libfuse
   * 2's cap) with fuse-native.
   */
  maxWrite: number
  /**
   * Seconds an operation may take before the kernel gets ETIMEDOUT; 0 (the default): no limit.
   * The reply is sent, but the operation's effect may still land afterwards.
   */
  opTimeout: number
  /** Milliseconds after a request during which wake-ups are kept fast, when hotLoop is on. */
  hotLoopMs: number
  /**
   * How wake-ups are kept fast while requests flow (see HotLoop): 'off' (the default),
   * 'cpu-latency' (every idle CPU of the machine polls; needs root) or 'event-loop' (one CPU
   * stays busy polling).
   */
  hotLoop: (typeof HOT_LOOP_WAYS)[number]
  /**
   * Keep the thread that answers requests on the vCPU its callers run on, and the callers there
   * with it (low-level driver, read from /dev/fuse; on by default): pinned to a lone caller's
   * vCPU, with replies written as SCHED_IDLE meanwhile (root) so that the kernel wakes the caller
   * there. On a VM whose idle vCPUs halt, a request whose caller sleeps on another vCPU costs two
   * wake-ups of halted vCPUs: a cold `stat` of 5,000 files 400-430 ms apart, 54-66 ms together.
   * Only the mount process's own thread changes (nothing machine-wide); not while callers run on
   * several vCPUs, and not for bulk reads and writes (native/caller-cpu.h).
   */
  followCallers: boolean
  /** Log every operation with its result and latency. */
  debug: boolean
  /** Raw FUSE options passed as they are (`-o name[=value]`). */
  fuseOptions: string[]
  /**
   * How requests reach the backend: 'lowlevel' (fusekit speaks the FUSE protocol on /dev/fuse on
   * the JS thread; mounts with mount(2) as root, through fusermount otherwise; takes the raw
   * options fusermount knows), 'fuse-native' (libfuse 2's worker threads; the portable fallback),
   * or 'auto': lowlevel unless raw options only libfuse understands are given.
   */
  driver: (typeof DRIVERS)[number]
}


/** The largest write each driver takes (and its default): libfuse 2 caps writes at 128 KiB, the kernel at 1 MiB (max_pages). */
const MAX_WRITE = { lowlevel: 1048576, 'fuse-native': 131072, auto: 1048576 } as const

export const defaultMountOptions: Readonly<MountOptions> = Object.freeze({
  fsname: 'fusekit',
  subtype: 'fusekit',
  readOnly: false,
  allowOther: false,
  defaultPermissions: true,
  attrTimeout: 1,
  entryTimeout: 1,
  negativeTimeout: 0,
  kernelCache: false,
  autoCache: false,
  writebackCache: false,
  ioUring: false,
  readdirplus: 'auto',
  maxWrite: 0,
  opTimeout: 0,
  hotLoopMs: 2,
  hotLoop: 'off',
  followCallers: true,
  debug: false,
  fuseOptions: [],
  driver: 'auto',
})

const MAX_OPTION_STRING = 1000 // fuse-native copies the option string into a 1024-byte buffer

/** Layers backend defaults and user choices over the core defaults, and validates the result. */
export function resolveMountOptions(...layers: Array<Partial<MountOptions> | undefined>): MountOptions {
  const options: MountOptions = { ...defaultMountOptions, fuseOptions: [] }
  for (const layer of layers) {
    if (!layer) continue
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value
    }
  }
  if (options.driver === 'auto') options.driver = autoDriver(options)
  if (options.maxWrite === 0) options.maxWrite = MAX_WRITE[options.driver]
  validate(options)
  return options
}

/**
 * The low-level driver answers in one wake-up instead of libfuse's two thread hand-offs, with
 * nanosecond times, READDIRPLUS, the caller's identity and the inode layer: it is the choice
 * unless raw options only libfuse understands are given.
 */
function autoDriver(o: MountOptions): MountOptions['driver'] {
  // Options neither driver knows: the low-level driver's refusal says which.
  return libfuseOnlyOptions(o).length === 0 || unknownToLibfuse(o.fuseOptions).length > 0 ? 'lowlevel' : 'fuse-native'
}

/** The raw -o options the low-level driver refuses (libfuse's own, as `use_ino` or `attr_timeout=1`). */
export function libfuseOnlyOptions(o: Pick<MountOptions, 'fuseOptions'>): string[] {
  return refusedRawOptions(o.fuseOptions, isRoot())
}

function isRoot(): boolean {
  return process.geteuid?.() === 0
}

function validate(o: MountOptions): void {
  const invalid = (message: string) => new FsError('EINVAL', `invalid mount option: ${message}`)
  for (const key of ['attrTimeout', 'entryTimeout', 'negativeTimeout', 'opTimeout', 'hotLoopMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] < 0) throw invalid(`${key} must be a number >= 0, got ${o[key]}`)
  }
  for (const [key, choices] of [['hotLoop', HOT_LOOP_WAYS], ['driver', DRIVERS], ['readdirplus', READDIRPLUS_MODES]] as const) {
    if (!(choices as readonly string[]).includes(o[key])) {
      throw invalid(`${key} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got "${String(o[key])}"`)
    }
  }
  const maxWrite = MAX_WRITE[o.driver as 'lowlevel' | 'fuse-native']
  if (!Number.isInteger(o.maxWrite) || o.maxWrite < 4096 || o.maxWrite > maxWrite) {
    throw invalid(`maxWrite must be an integer from 4096 to ${maxWrite}, got ${o.maxWrite}`)
  }
  if (o.writebackCache && o.driver !== 'lowlevel') throw invalid('writebackCache needs the lowlevel driver (libfuse 2 would send reads on write-only handles)')
  if (o.ioUring && o.driver !== 'lowlevel') throw invalid('ioUring needs the lowlevel driver (libfuse 2 reads /dev/fuse only)')
  if (o.readdirplus === 'always' && o.driver !== 'lowlevel') throw invalid('readdirplus always needs the lowlevel driver (libfuse 2 has no READDIRPLUS)')
  for (const name of ['fsname', 'subtype'] as const) {
    if (!/^[\w.@:/+-]+$/.test(o[name])) throw invalid(`${name} may hold only letters, digits and . _ @ : / + -, got "${o[name]}"`)
  }
  if (o.kernelCache && o.autoCache) throw invalid('kernelCache and autoCache exclude each other')
  for (const raw of o.fuseOptions) {
    if (!/^[\w.-]+(=[^,\s]*)?$/.test(raw)) throw invalid(`"${raw}" is not a FUSE option (name or name=value)`)
  }
  // The low-level driver is not libfuse: it refuses what it would otherwise silently ignore.
  const refused = o.driver === 'lowlevel' ? rawOptionProblem(o.fuseOptions, isRoot()) : undefined
  if (refused) throw invalid(`${refused}; use the mount flags, or --driver fuse-native for libfuse's own options`)
  const unknown = o.driver === 'fuse-native' ? unknownToLibfuse(o.fuseOptions) : []
  if (unknown.length > 0) throw invalid(`libfuse 2 does not know ${unknown.map((raw) => `'${raw}'`).join(', ')}`)
  if (fuseOptionList(o).join(',').length > MAX_OPTION_STRING) throw invalid('the FUSE option string is too long')
}

/** The -o list handed to libfuse. */
export function fuseOptionList(o: MountOptions): string[] {
  const list = [
    `fsname=${o.fsname}`,
    `subtype=${o.subtype}`,
    // Real inode numbers in stat, and writes in 128 KiB pieces rather than 4 KiB.
    'use_ino',
    'big_writes',
    `max_write=${o.maxWrite}`,
    `attr_timeout=${o.attrTimeout}`,
    `entry_timeout=${o.entryTimeout}`,
    `negative_timeout=${o.negativeTimeout}`,
  ]
  if (o.readOnly) list.push('ro')
  if (o.allowOther) list.push('allow_other')
  if (o.defaultPermissions) list.push('default_permissions')
  if (o.kernelCache) list.push('kernel_cache')
  // Check size and mtime at every open, not once per attribute timeout: a change made through
  // another name (hard link) or underneath must not leave stale pages.
  if (o.autoCache) list.push('auto_cache', 'ac_attr_timeout=0')
  list.push(...o.fuseOptions)
  return list
}
