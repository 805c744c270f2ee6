import { installedBackends } from '../backends/discover.js'
import type { CliContext } from '../context.js'
import { envPrefix, envVariable } from '../options/env-options.js'
import { formatFlags, type FlagSpec } from '../options/flags.js'
import type { BackendFlag } from '../options/schema-flags.js'
import { CONFIG_FLAG, namedMountsLine, type MountTarget } from './mount-target.js'

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', takesValue: false, description: 'Show this help' }

const FOREGROUND = `Runs in the foreground: Ctrl-C (SIGINT) or SIGTERM unmounts and exits; a second signal exits at once.
\`fusekit unmount <mountpoint>\` clears a mount left behind by a process that was killed.`

const SOURCES = `Backend options come from, each over the one before: a named mount's entry in the config file,
the environment as FUSEKIT_<BACKEND>_<OPTION> (upper case, dashes as underscores: FUSEKIT_S3_BUCKET,
FUSEKIT_MEMORY_SIZE; switches take true or false, lists a JSON array), then the command line.`

/** `fusekit mount --help`: the general form, the installed backends and named mounts, the common mount flags. */
export function generalMountHelp(ctx: CliContext, mountFlags: readonly FlagSpec[]): string {
  const backends = installedBackends(ctx.cwd).map((b) => b.name)
  return [
    'Usage: fusekit mount <backend> <mountpoint> [options]',
    '       fusekit mount <named mount> [mountpoint] [options]',
    '',
    'Mounts a backend on <mountpoint> (an existing empty directory).',
    '<backend> is one of the installed backends, a package fusekit-backend-<name> given as <name>,',
    'a package @scope/fusekit-backend-<name> given as @scope/<name>, or a path to a backend module.',
    'A named mount is an entry of the config file: its backend, mountpoint and options, to which',
    'the command line adds (a name the config file defines is the entry, not a backend; built-in',
    'backend names cannot name an entry).',
    '',
    `Installed backends: ${backends.length > 0 ? backends.join(', ') : 'none'} (see fusekit backends)`,
    namedMountsLine(ctx),
    '',
    'Mount options:',
    ...formatFlags([...mountFlags, CONFIG_FLAG, HELP_FLAG]),
    '',
    "A backend's own options: fusekit mount <backend> --help",
    SOURCES,
    FOREGROUND,
  ].join('\n')
}

/** `fusekit mount <backend> --help`: the backend's options from its schema, then the mount flags. */
export function backendMountHelp(target: MountTarget, backendFlags: readonly BackendFlag[], mountFlags: readonly FlagSpec[]): string {
  const { backend, entry } = target
  const { descriptor } = backend
  const shared = new Set(mountFlags.map((f) => f.name))
  const own = backendFlags.map((f) => (shared.has(f.name) ? { ...f, description: `${f.description ?? ''} (also applies to the mount)`.trim() } : f))
  const origin = backend.packageName ? `${backend.packageName} ${backend.version ?? ''}`.trim() : backend.file
  const example = backendFlags[0] ? ` (e.g. ${envVariable(descriptor.name, backendFlags[0])})` : ''
  return [
    entry ? `Usage: fusekit mount ${entry.name} [mountpoint] [options]` : `Usage: fusekit mount ${descriptor.name} <mountpoint> [options]`,
    '',
    ...(entry ? [`Named mount ${entry.name} of ${entry.file}: backend ${entry.backend}${entry.mountpoint ? `, mountpoint ${entry.mountpoint}` : ''}`, ''] : []),
    descriptor.description,
    '',
    `Options of ${descriptor.name} (${origin}):`,
    ...(own.length > 0 ? formatFlags(own) : ['  (none)']),
    '',
    'Mount options:',
    ...formatFlags([...mountFlags.filter((f) => !backendFlags.some((b) => b.name === f.name)), CONFIG_FLAG, HELP_FLAG]),
    '',
    `Each option of ${descriptor.name} can also be set in the environment as ${envPrefix(descriptor.name)}<OPTION>${example};`,
    'the command line wins over the environment, which wins over a named mount\'s entry in the config file.',
    FOREGROUND,
  ].join('\n')
}
