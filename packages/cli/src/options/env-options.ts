import { UsageError } from '../errors.js'
import { convertValue } from './flags.js'
import type { BackendFlag } from './schema-flags.js'

/** Backend options found in the environment, by flag name, and the variables they came from. */
export interface EnvOptions {
  values: Map<string, unknown>
  variables: Map<string, string>
  /** Variables with the backend's prefix that name no option (a typo, most likely). */
  unknown: string[]
}

/** `FUSEKIT_S3_`: the prefix of a backend's variables. */
export function envPrefix(backend: string): string {
  return `FUSEKIT_${upperSnake(backend)}_`
}

/** `FUSEKIT_S3_SECRET_ACCESS_KEY` for the option secretAccessKey (flag --secret-access-key) of backend s3. */
export function envVariable(backend: string, flag: Pick<BackendFlag, 'name'>): string {
  return envPrefix(backend) + upperSnake(flag.name)
}

/**
 * Reads `FUSEKIT_<BACKEND>_<OPTION>` for each of a backend's flags, converting values as the flag
 * parser does (numbers, JSON); a switch takes true or false; a list takes one value, or a JSON
 * array. A bad value fails naming the variable (and not echoing a secret).
 */
export function envOptions(backend: string, flags: readonly BackendFlag[], env: NodeJS.ProcessEnv): EnvOptions {
  const found: EnvOptions = { values: new Map(), variables: new Map(), unknown: [] }
  const known = new Set<string>()
  for (const flag of flags) {
    const variable = envVariable(backend, flag)
    known.add(variable)
    const raw = env[variable]
    if (raw === undefined) continue
    found.values.set(flag.name, envValue(flag, variable, raw))
    found.variables.set(flag.name, variable)
  }
  const prefix = envPrefix(backend)
  found.unknown = Object.keys(env).filter((name) => name.startsWith(prefix) && !known.has(name)).sort()
  return found
}

function envValue(flag: BackendFlag, variable: string, raw: string): unknown {
  if (!flag.takesValue) {
    if (raw === 'true' || raw === 'false') return raw === 'true'
    throw new UsageError(`${variable} is a switch: set it to true or false${flag.secret ? '' : `, not "${raw}"`}`)
  }
  if (!flag.repeatable) return convertValue(flag, variable, raw)
  if (!raw.startsWith('[')) return [convertValue(flag, variable, raw)]
  let list: unknown
  try {
    list = JSON.parse(raw)
  } catch {
    list = undefined
  }
  if (!Array.isArray(list)) throw new UsageError(`${variable} starts with "[" but is not a JSON array`)
  return list
}

function upperSnake(name: string): string {
  return name.replace(/-/g, '_').toUpperCase()
}
