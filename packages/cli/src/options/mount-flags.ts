import type { MountOptions } from '@fusekit/core'
import { z } from 'zod'
import { parseNumber, type FlagSpec } from './flags.js'

/** A flag that sets one mount option. */
export interface MountFlag extends FlagSpec {
  key: keyof MountOptions
}

type Kind = 'switch' | 'seconds' | 'milliseconds' | 'bytes' | 'text'

const table: Array<{ key: keyof MountOptions; name: string; kind: Kind; description: string }> = [
  { key: 'readOnly', name: 'read-only', kind: 'switch', description: 'Mount read-only' },
  { key: 'allowOther', name: 'allow-other', kind: 'switch', description: 'Let other users use the mount (root, or user_allow_other in /etc/fuse.conf)' },
  { key: 'defaultPermissions', name: 'default-permissions', kind: 'switch', description: 'Let the kernel check permissions from the mode bits (always on with --allow-other unless turned off)' },
  { key: 'debug', name: 'debug', kind: 'switch', description: 'Log every operation with its result and latency' },
  { key: 'fsname', name: 'fsname', kind: 'text', description: 'Source name shown in /proc/mounts and df' },
  { key: 'attrTimeout', name: 'attr-timeout', kind: 'seconds', description: 'Seconds the kernel may cache attributes' },
  { key: 'entryTimeout', name: 'entry-timeout', kind: 'seconds', description: 'Seconds the kernel may cache name lookups' },
  { key: 'negativeTimeout', name: 'negative-timeout', kind: 'seconds', description: 'Seconds the kernel may cache a failed lookup' },
  { key: 'opTimeout', name: 'op-timeout', kind: 'seconds', description: 'Answer ETIMEDOUT to an operation slower than this (0: no limit); the reply is sent, the effect may still land' },
  { key: 'kernelCache', name: 'kernel-cache', kind: 'switch', description: 'Keep file pages cached across opens (only when nothing changes the data underneath)' },
  { key: 'autoCache', name: 'auto-cache', kind: 'switch', description: 'Drop cached pages of a file when its size or mtime changed' },
  { key: 'writebackCache', name: 'writeback-cache', kind: 'switch', description: 'Let the kernel buffer writes and send them in large batches (lowlevel driver; only when every change goes through the mount)' },
  { key: 'ioUring', name: 'io-uring', kind: 'switch', description: 'Take requests over io_uring instead of /dev/fuse reads (lowlevel driver; Linux 6.14+ with /sys/module/fuse/parameters/enable_uring set to Y, else /dev/fuse is read, saying why)' },
  { key: 'readdirplus', name: 'readdirplus', kind: 'text', description: "When listings carry attributes (lowlevel driver): auto (a directory's first buffer, and after a lookup in it), always (ls -l and find -ls of a large directory need no lookup per entry; a listing that stats nothing costs an inode per entry), or off" },
  { key: 'maxWrite', name: 'max-write', kind: 'bytes', description: 'Largest write request in bytes (4096 to 131072 with fuse-native, to 1048576 with lowlevel; the largest by default)' },
  { key: 'driver', name: 'driver', kind: 'text', description: 'How requests reach the backend: lowlevel (fusekit reads /dev/fuse itself), fuse-native (libfuse 2), or auto: lowlevel unless an -o option only libfuse takes is given' },
  { key: 'hotLoop', name: 'hot-loop', kind: 'text', description: 'Keep wake-ups fast while requests flow: off; cpu-latency (root: every idle CPU of the machine polls, as tuned\'s latency profiles do); event-loop (the mount process polls: one CPU stays busy)' },
  { key: 'hotLoopMs', name: 'hot-loop-ms', kind: 'milliseconds', description: 'With --hot-loop: milliseconds after a request during which wake-ups are kept fast' },
  { key: 'followCallers', name: 'follow-callers', kind: 'switch', description: "Keep the mount's thread on the vCPU its callers run on, and them there with it, unless callers run on several or move bulk data; while requests sleep, pinned or free, whichever was timed faster (lowlevel driver)" },
]

/** The mount flags every backend accepts, with the defaults that apply to it. */
export function mountFlags(defaults: MountOptions): MountFlag[] {
  const flags: MountFlag[] = table.map(({ key, name, kind, description }) => ({
    key,
    name,
    description,
    takesValue: kind !== 'switch',
    convert: kind === 'seconds' || kind === 'milliseconds' || kind === 'bytes' ? number(kind) : undefined,
    label: kind === 'text' ? 'name' : kind,
    // 'auto' is resolved with the defaults: say what it chose here.
    defaultValue: key === 'driver' ? `auto (${defaults.driver} here)` : String(defaults[key]),
  }))
  flags.push({
    key: 'fuseOptions',
    name: 'option',
    short: 'o',
    takesValue: true,
    repeatable: true,
    label: 'opt[,opt...]',
    description: 'Raw FUSE mount options, passed as they are',
  })
  return flags
}

/** Mount options from parsed flag values; `-o a,b -o c` gives fuseOptions [a, b, c]. */
export function mountOptionsFrom(values: ReadonlyMap<string, unknown>, flags: readonly MountFlag[]): Partial<MountOptions> {
  const options: Record<string, unknown> = {}
  for (const flag of flags) {
    if (!values.has(flag.name)) continue
    const value = values.get(flag.name)
    options[flag.key] = flag.key === 'fuseOptions' ? (value as string[]).flatMap((v) => v.split(',')).filter((v) => v !== '') : value
  }
  // The two cache modes exclude each other: choosing one drops the other's default.
  if (options.autoCache === true && !values.has('kernel-cache')) options.kernelCache = false
  if (options.kernelCache === true && !values.has('auto-cache')) options.autoCache = false
  return options as Partial<MountOptions>
}

/** Types of the values of each kind in a config file (ranges the core checks are checked here too, to name the field). */
const kindSchemas: Record<Kind, z.ZodType> = {
  switch: z.boolean(),
  seconds: z.number().nonnegative(),
  milliseconds: z.number().nonnegative(),
  bytes: z.number().int().positive(),
  text: z.string().min(1),
}

/** The schema of a named mount's `mountOptions` in a config file: the options the mount flags set, by key. */
export function mountOptionsSchema(): z.ZodType<Partial<MountOptions>> {
  const shape = Object.fromEntries(table.map(({ key, kind }) => [key, kindSchemas[kind].optional()]))
  return z.strictObject({ ...shape, fuseOptions: z.array(z.string()).optional() }) as unknown as z.ZodType<Partial<MountOptions>>
}

function number(kind: 'seconds' | 'milliseconds' | 'bytes'): (raw: string) => number {
  return (raw) => {
    const value = parseNumber(raw)
    if (value === undefined) throw new Error(`expects a number of ${kind}`)
    return value
  }
}
