import { UsageError } from '../errors.js'

/** One command-line option. */
export interface FlagSpec {
  /** Long name, kebab-case, without the dashes. */
  name: string
  short?: string
  /** A switch (`--x`, `--no-x`, `--x=false`) when false; otherwise `--x <value>` or `--x=<value>`. */
  takesValue: boolean
  /** Values accumulate in an array. */
  repeatable?: boolean
  /** Turns a raw value into what the option wants; throws an Error saying what was expected. */
  convert?: (raw: string) => unknown
  /** Never echoed: help shows no default and errors show no value. */
  secret?: boolean
  /** Help text: placeholder, description, default (already formatted), required marker. */
  label?: string
  description?: string
  defaultValue?: string
  required?: boolean
}

export interface ParsedArgs {
  /** Values by flag name. */
  values: Map<string, unknown>
  positionals: string[]
  help: boolean
}

/**
 * Parses arguments against a list of flags. Options and positionals may be mixed; `--` ends
 * the options. `-h`/`--help` is always known. Unknown options fail with the list of valid ones.
 */
export function parseArgs(args: readonly string[], flags: readonly FlagSpec[], helpHint: string): ParsedArgs {
  const byName = new Map(flags.map((f) => [f.name, f]))
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short as string, f]))
  const parsed: ParsedArgs = { values: new Map(), positionals: [], help: false }
  const set = (flag: FlagSpec, value: unknown) => {
    if (!flag.repeatable) return void parsed.values.set(flag.name, value)
    const list = (parsed.values.get(flag.name) as unknown[] | undefined) ?? []
    parsed.values.set(flag.name, [...list, value])
  }

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    const takeValue = (flag: FlagSpec, display: string, attached: string | undefined): void => {
      const raw = attached ?? args[++i]
      if (raw === undefined) throw new UsageError(`${display} needs a value (see ${helpHint})`)
      set(flag, convertValue(flag, display, raw))
    }

    if (arg === '--') {
      parsed.positionals.push(...args.slice(i + 1))
      break
    }
    if (arg === '-h' || arg === '--help') {
      parsed.help = true
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      const name = arg.slice(2, eq < 0 ? undefined : eq)
      const attached = eq < 0 ? undefined : arg.slice(eq + 1)
      const flag = byName.get(name)
      const negated = !flag && name.startsWith('no-') ? byName.get(name.slice(3)) : undefined
      if (flag?.takesValue) takeValue(flag, `--${name}`, attached)
      else if (flag) set(flag, attached === undefined ? true : switchValue(`--${name}`, attached))
      else if (negated && !negated.takesValue && attached === undefined) set(negated, false)
      else throw unknownOption(`--${name}`, flags, helpHint)
    } else if (arg.startsWith('-') && arg.length > 1) {
      const flag = byShort.get(arg[1] as string)
      if (!flag) throw unknownOption(arg, flags, helpHint)
      if (flag.takesValue) takeValue(flag, `-${flag.short}`, arg.length > 2 ? arg.slice(2) : undefined)
      else if (arg.length === 2) set(flag, true)
      else throw unknownOption(arg, flags, helpHint)
    } else {
      parsed.positionals.push(arg)
    }
  }
  return parsed
}

/**
 * Takes one option (`--name value` or `--name=value`) out of an argument list before the rest
 * can be parsed: its value decides which other flags exist (the config file names the backend).
 */
export function takeOption(args: readonly string[], name: string): { value: string | undefined; rest: string[] } {
  const rest: string[] = []
  let value: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--') {
      rest.push(...args.slice(i))
      break
    }
    if (arg === `--${name}`) {
      value = args[++i]
      if (value === undefined) throw new UsageError(`--${name} needs a value`)
    } else if (arg.startsWith(`--${name}=`)) {
      value = arg.slice(name.length + 3)
    } else {
      rest.push(arg)
    }
  }
  return { value, rest }
}

/** A raw value as the flag wants it; `display` names where it came from in the error (`--size`, `FUSEKIT_MEMORY_SIZE`). */
export function convertValue(flag: FlagSpec, display: string, raw: string): unknown {
  if (!flag.convert) return raw
  try {
    return flag.convert(raw)
  } catch (error) {
    const expected = error instanceof Error ? error.message : String(error)
    throw new UsageError(flag.secret ? `${display} ${expected}` : `${display} ${expected}, got "${raw}"`)
  }
}

function switchValue(display: string, raw: string): boolean {
  if (raw === 'true') return true
  if (raw === 'false') return false
  throw new UsageError(`${display} is a switch: give ${display} or --no-${display.slice(2)}, or =true/=false, not "${raw}"`)
}

function unknownOption(arg: string, flags: readonly FlagSpec[], helpHint: string): UsageError {
  const valid = flags.map((f) => `--${f.name}`).join(', ')
  return new UsageError(`unknown option ${arg}; valid options: ${valid} (see ${helpHint})`)
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/

/** A decimal number, or undefined when `raw` is not one. */
export function parseNumber(raw: string): number | undefined {
  return NUMBER.test(raw) ? Number(raw) : undefined
}

/** Help lines for a list of flags, with aligned descriptions. */
export function formatFlags(flags: readonly FlagSpec[]): string[] {
  const rows = flags.map((flag) => {
    const long = !flag.takesValue && flag.defaultValue === 'true' ? `--[no-]${flag.name}` : `--${flag.name}`
    const left = `${flag.short ? `-${flag.short}, ` : ''}${long}${flag.takesValue ? ` <${flag.label ?? 'value'}>` : ''}`
    const notes = [
      flag.required ? 'required' : undefined,
      flag.repeatable ? 'repeatable' : undefined,
      // A switch is off unless given: only say so when it is on by default.
      flag.defaultValue !== undefined && !flag.secret && !(flag.defaultValue === 'false' && !flag.takesValue) ? `default: ${flag.defaultValue}` : undefined,
      flag.secret ? 'secret: never printed' : undefined,
    ].filter(Boolean)
    const right = [flag.description, notes.length > 0 ? `(${notes.join(', ')})` : undefined].filter(Boolean).join(' ')
    return { left, right }
  })
  const width = Math.max(0, ...rows.map((r) => r.left.length))
  return rows.map(({ left, right }) => `  ${left.padEnd(width)}  ${right}`.trimEnd())
}
