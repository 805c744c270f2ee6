import { fileURLToPath } from 'node:url'

/**
 * How mount.fusekit and the background `fusekit mount` it starts talk: the request goes in on the
 * daemon's stdin (so that no option, secret or not, shows in `ps`), and the daemon writes what it
 * prints on descriptor 3 as well until it is mounted, then READY, then closes it.
 */
export interface DaemonRequest {
  /** fusekit's arguments: ['mount', ...]. */
  argv: string[]
  /** The directory mount(8) ran in: relative paths and the config file are looked up from it. */
  cwd: string
}

export const STATUS_FD = 3

/** Ends the status stream of a mount that is up; it cannot occur in printed text. */
export const READY = '\0'

export const DAEMON_SCRIPT = fileURLToPath(new URL('./daemon.js', import.meta.url))
