import { UsageError } from '../errors.js'
import type { FlagSpec } from '../options/flags.js'

/** Options mount(8) hands its helpers that are about fstab or mount(8) itself, not the mount. */
const MOUNT8_OWN = new Set(['defaults', 'auto', 'noauto', 'user', 'users', 'nouser', 'owner', 'group', 'nofail', '_netdev', 'rw', 'comment'])

/** The helper's own options, taken out before the rest is translated. */
export interface HelperOptions {
  /** `log=<file>`: where the mount's output goes. */
  log: string | undefined
  /** `config=<file>`: the config file of named mounts. */
  config: string | undefined
  /** Everything else, in order. */
  rest: string[]
}

export function helperOptions(options: readonly string[]): HelperOptions {
  const taken: HelperOptions = { log: undefined, config: undefined, rest: [] }
  for (const option of options) {
    const { name, value } = split(option)
    if ((name === 'log' || name === 'config') && value !== undefined) taken[name] = value
    else taken.rest.push(option)
  }
  return taken
}

/**
 * Turns an fstab -o list into fusekit mount arguments: `ro` → --read-only; an option named like a
 * flag (with _ for -) → that flag (`size=1G` → --size=1G, `allow_other` → --allow-other); mount(8)'s
 * own options and x-* are dropped; anything else is a raw FUSE option (-o noatime).
 */
export function fstabArguments(options: readonly string[], flags: readonly FlagSpec[]): string[] {
  const byName = new Map(flags.map((f) => [f.name, f]))
  return options.flatMap((option) => {
    const { name, value } = split(option)
    if (MOUNT8_OWN.has(name) || name.startsWith('x-')) return []
    if (option === 'ro') return ['--read-only']
    const flag = byName.get(name.replace(/_/g, '-'))
    if (!flag) return ['-o', option]
    if (value !== undefined) return [`--${flag.name}=${value}`]
    if (flag.takesValue) throw new UsageError(`option ${name} needs a value: ${name}=<${flag.label ?? 'value'}>`)
    return [`--${flag.name}`]
  })
}

function split(option: string): { name: string; value: string | undefined } {
  const equals = option.indexOf('=')
  return equals < 0 ? { name: option, value: undefined } : { name: option.slice(0, equals), value: option.slice(equals + 1) }
}
