import { installedBackends } from '../backends/discover.js'
import type { ResolvedBackend } from '../backends/resolve.js'
import { formatFlags, type FlagSpec } from '../options/flags.js'
import type { BackendFlag } from '../options/schema-flags.js'

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', takesValue: false, description: 'Show this help' }

const FOREGROUND = `Runs in the foreground: Ctrl-C (SIGINT) or SIGTERM unmounts and exits; a second signal exits at once.
\`fusekit unmount <mountpoint>\` clears a mount left behind by a process that was killed.`

/** `fusekit mount --help`: the general form, the installed backends, the common mount flags. */
export function generalMountHelp(cwd: string, mountFlags: readonly FlagSpec[]): string {
  const backends = installedBackends(cwd).map((b) => b.name)
  return [
    'Usage: fusekit mount <backend> <mountpoint> [options]',
    '',
    'Mounts a backend on <mountpoint> (an existing empty directory).',
    '<backend> is one of the installed backends, a package fusekit-backend-<name> given as <name>,',
    'a package @scope/fusekit-backend-<name> given as @scope/<name>, or a path to a backend module.',
    '',
    `Installed backends: ${backends.length > 0 ? backends.join(', ') : 'none'} (see fusekit backends)`,
    '',
    'Mount options:',
    ...formatFlags([...mountFlags, HELP_FLAG]),
    '',
    "A backend's own options: fusekit mount <backend> --help",
    FOREGROUND,
  ].join('\n')
}

/** `fusekit mount <backend> --help`: the backend's options from its schema, then the mount flags. */
export function backendMountHelp(backend: ResolvedBackend, backendFlags: readonly BackendFlag[], mountFlags: readonly FlagSpec[]): string {
  const { descriptor } = backend
  const shared = new Set(mountFlags.map((f) => f.name))
  const own = backendFlags.map((f) => (shared.has(f.name) ? { ...f, description: `${f.description ?? ''} (also applies to the mount)`.trim() } : f))
  const origin = backend.packageName ? `${backend.packageName} ${backend.version ?? ''}`.trim() : backend.file
  return [
    `Usage: fusekit mount ${descriptor.name} <mountpoint> [options]`,
    '',
    descriptor.description,
    '',
    `Options of ${descriptor.name} (${origin}):`,
    ...(own.length > 0 ? formatFlags(own) : ['  (none)']),
    '',
    'Mount options:',
    ...formatFlags([...mountFlags.filter((f) => !backendFlags.some((b) => b.name === f.name)), HELP_FLAG]),
    '',
    FOREGROUND,
  ].join('\n')
}
