import type { BackendDescriptor } from '@fusekit/core'
import { z } from 'zod'
import { fieldPath } from '../config/field-path.js'
import { CliError, UsageError } from '../errors.js'
import { envVariable } from './env-options.js'
import { parseNumber, type FlagSpec } from './flags.js'

/** A flag generated from one key of a backend's options schema. */
export interface BackendFlag extends FlagSpec {
  /** The schema key (camelCase). */
  key: string
}

interface JsonSchema {
  type?: string | string[]
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  items?: JsonSchema
  default?: unknown
  description?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
}

/**
 * Flags for a backend's options, derived from its zod schema as JSON Schema (input side):
 * `sizeLimit` → `--size-limit`; booleans are switches; numbers are parsed; strings pass as they
 * are; arrays are repeatable flags; objects take JSON. Descriptions come from `.describe()`.
 */
export function backendFlags(descriptor: BackendDescriptor): BackendFlag[] {
  let schema: JsonSchema
  try {
    schema = z.toJSONSchema(descriptor.options, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  } catch (error) {
    throw new CliError(`backend ${descriptor.name}: its options schema cannot be described: ${(error as Error).message}`)
  }
  const secrets = new Set(descriptor.secretOptions ?? [])
  const required = new Set(schema.required ?? [])
  return Object.entries(schema.properties ?? {}).map(([key, node]) => {
    const kinds = kindsOf(node)
    const isList = kinds.size === 1 && kinds.has('array')
    const isSwitch = kinds.size === 1 && kinds.has('boolean')
    const valueKinds = isList ? kindsOf(node.items ?? {}) : kinds
    return {
      key,
      name: kebabCase(key),
      takesValue: !isSwitch,
      repeatable: isList,
      convert: isSwitch ? undefined : converter(valueKinds),
      secret: secrets.has(key),
      label: labelOf(isList ? (node.items ?? {}) : node, valueKinds),
      description: node.description,
      defaultValue: node.default === undefined ? undefined : formatValue(node.default),
      required: required.has(key) && node.default === undefined,
    }
  })
}

/** The backend's raw options object from parsed flag values (keys as in the schema). */
export function backendOptionsFrom(values: ReadonlyMap<string, unknown>, flags: readonly BackendFlag[]): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  for (const flag of flags) if (values.has(flag.name)) options[flag.key] = values.get(flag.name)
  return options
}

/** Where a backend option's value came from when not from a flag, to name it in errors. */
export type OptionOrigin = { kind: 'env'; variable: string } | { kind: 'file'; file: string; entry: string }

/**
 * Validates with the backend's schema; problems are reported on one line, each by where its value
 * came from: the flag, the environment variable, or the config file's field. Problems in a config
 * file are reported alone, as the file's.
 */
export function validateBackendOptions(
  descriptor: BackendDescriptor,
  raw: Record<string, unknown>,
  flags: readonly BackendFlag[],
  origins: ReadonlyMap<string, OptionOrigin> = new Map(),
): void {
  const result = descriptor.options.safeParse(raw)
  if (result.success) return
  const byKey = new Map(flags.map((f) => [f.key, f]))
  const problems: string[] = []
  const inFile = new Map<string, string[]>()
  for (const issue of result.error.issues) {
    const [first, ...rest] = issue.path
    const flag = typeof first === 'string' ? byKey.get(first) : undefined
    const origin = flag && origins.get(flag.key)
    if (!flag) {
      problems.push(issue.message)
    } else if (origin?.kind === 'file') {
      const field = fieldPath(['mounts', origin.entry, 'options', flag.key, ...rest])
      inFile.set(origin.file, [...(inFile.get(origin.file) ?? []), `${field}: ${issue.message}`])
    } else if (raw[flag.key] === undefined && issue.code === 'invalid_type') {
      problems.push(`--${flag.name} is required (or ${envVariable(descriptor.name, flag)} in the environment)`)
    } else {
      const name = origin?.kind === 'env' ? origin.variable : `--${flag.name}`
      problems.push(`${rest.length > 0 ? `${name} (at ${rest.map(String).join('.')})` : name}: ${issue.message}`)
    }
  }
  const [fileProblems] = inFile
  if (fileProblems) throw new UsageError(`${fileProblems[0]}: ${fileProblems[1].join('; ')}`)
  throw new UsageError(`invalid options for backend ${descriptor.name}: ${problems.join('; ')} (see fusekit mount ${descriptor.name} --help)`)
}

export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()).replace(/_/g, '-')
}

/** The JSON types a schema node accepts ('integer', 'string', ...); empty means anything. */
function kindsOf(node: JsonSchema): Set<string> {
  const kinds = new Set<string>()
  const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type]
  for (const type of types) kinds.add(type)
  for (const value of [...(node.enum ?? []), ...('const' in node ? [node.const] : [])]) kinds.add(typeof value)
  for (const inner of [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])]) for (const k of kindsOf(inner)) kinds.add(k)
  kinds.delete('null')
  return kinds
}

function converter(kinds: ReadonlySet<string>): (raw: string) => unknown {
  const numeric = kinds.has('number') || kinds.has('integer')
  const textual = kinds.size === 0 || kinds.has('string')
  const json = kinds.has('object') || kinds.has('array')
  return (raw) => {
    const number = numeric ? parseNumber(raw) : undefined
    if (number !== undefined) return number
    if (kinds.has('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true'
    if (json && !textual) {
      try {
        return JSON.parse(raw)
      } catch {
        throw new Error('expects JSON')
      }
    }
    if (textual) return raw
    throw new Error(numeric ? `expects ${kinds.has('number') ? 'a number' : 'an integer'}` : 'expects true or false')
  }
}

function labelOf(node: JsonSchema, kinds: ReadonlySet<string>): string {
  // An enum (or a union of literals) lists its choices.
  const alternatives = node.anyOf ?? node.oneOf ?? [node]
  const choices = alternatives.map((a) => a.enum ?? ('const' in a ? [a.const] : undefined))
  if (choices.every((c) => c !== undefined)) return choices.flat().map(String).join('|')
  if (kinds.size === 0) return 'value'
  return [...kinds].map((k) => (k === 'object' ? 'json' : k)).join('|')
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}
