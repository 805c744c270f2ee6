import type { MountOptions } from '@fusekit/core'
import type { BackendOptions } from './backend-under-test.js'

/** `sizeLimit` → `size-limit`, as the CLI names a schema key's flag. */
const kebab = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

/** One key's value as `fusekit mount` flags: switches, repeated flags for lists, JSON for objects. */
function flagsOf(key: string, value: unknown): string[] {
  const name = kebab(key)
  if (value === undefined) return []
  if (typeof value === 'boolean') return [value ? `--${name}` : `--no-${name}`]
  if (Array.isArray(value)) return value.flatMap((item) => flagsOf(key, item))
  // name=value: a value starting with a dash must not be read as a flag of its own.
  return [`--${name}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`]
}

/** The backend's options as the flags its schema gives them. */
export function backendOptionFlags(options: BackendOptions): string[] {
  return Object.entries(options).flatMap(([key, value]) => flagsOf(key, value))
}

/** Mount options as the CLI's mount flags (`fuseOptions` as -o). */
export function mountOptionFlags(options: Partial<MountOptions>): string[] {
  return Object.entries(options).flatMap(([key, value]) =>
    key === 'fuseOptions' ? (value as string[]).flatMap((option) => ['-o', option]) : flagsOf(key, value),
  )
}
