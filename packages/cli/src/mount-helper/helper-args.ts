import { UsageError } from '../errors.js'

/** What mount(8) asks of a helper: `mount.fusekit <spec> <dir> [-sfnv] [-N ns] [-o options] [-t type]`. */
export interface HelperRequest {
  /** The fstab line's first field: a backend or a named mount. */
  spec: string
  mountpoint: string
  /** The -o list, split at commas, in order. */
  options: string[]
  /** -f: do everything but mount. */
  fake: boolean
  /** -v: say what is run, and show the mount's output. */
  verbose: boolean
}

export const HELPER_USAGE = 'mount.fusekit <backend or named mount> <mountpoint> [-sfnv] [-o option[,option...]]'

/**
 * Parses the arguments mount(8) gives a helper. -s (sloppy) and -n (no mtab) change nothing
 * here: unknown options fail as on the command line, and fusekit writes no mtab.
 */
export function parseHelperArgs(argv: readonly string[]): HelperRequest {
  const positionals: string[] = []
  const request = { options: [] as string[], fake: false, verbose: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg)
      continue
    }
    // Letters may be grouped (-fv); -o, -t and -N take the rest of the argument or the next one.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j] as string
      if ('sfnv'.includes(letter)) {
        if (letter === 'f') request.fake = true
        if (letter === 'v') request.verbose = true
        continue
      }
      if (!'otN'.includes(letter)) throw new UsageError(`unknown option -${letter} (usage: ${HELPER_USAGE})`)
      const value = j + 1 < arg.length ? arg.slice(j + 1) : argv[++i]
      if (value === undefined) throw new UsageError(`-${letter} needs a value (usage: ${HELPER_USAGE})`)
      // -t is fusekit (the helper's own type); -N (another mount namespace) is not supported.
      if (letter === 'N') throw new UsageError('-N (mounting in another namespace) is not supported')
      if (letter === 'o') request.options.push(...value.split(',').filter((option) => option !== ''))
      break
    }
  }
  const [spec, mountpoint, extra] = positionals
  if (spec === undefined || mountpoint === undefined) throw new UsageError(`needs a backend and a mountpoint (usage: ${HELPER_USAGE})`)
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: ${HELPER_USAGE})`)
  return { spec, mountpoint, ...request }
}
