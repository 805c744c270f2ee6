import { z } from 'zod'
import { builtinBackends } from '../backends/builtin.js'
import { mountOptionsSchema } from '../options/mount-flags.js'
import { fieldPath } from './field-path.js'

/** Names of named mounts: what `fusekit mount <name>` and an fstab line's first field can hold. */
const ENTRY_NAME = /^[A-Za-z0-9][\w.-]*$/

/** Whether `name` could name a mount (built-in backend names aside). */
export function isEntryName(name: string): boolean {
  return ENTRY_NAME.test(name)
}

const entryName = z
  .string()
  .regex(ENTRY_NAME, 'a named mount is named with letters, digits and . _ - (not starting with . _ -)')
  // `fusekit mount memory` always means the built-in backend, whatever a config file holds.
  .refine((name) => !Object.hasOwn(builtinBackends, name), 'is the name of a built-in backend: choose another name for the mount')

const entry = z.strictObject({
  // As given to fusekit mount: a backend name, a package name, or a path (relative to the file).
  backend: z.string().min(1),
  // Relative to the file; a mountpoint given on the command line wins.
  mountpoint: z.string().min(1).optional(),
  // The backend's options by their keys in its schema (camelCase), checked against it at mount.
  options: z.record(z.string(), z.unknown()).optional(),
  mountOptions: mountOptionsSchema().optional(),
})

export const configSchema = z.strictObject({ mounts: z.record(entryName, entry) })

/** One line per problem, each starting with the field: `mounts.photos.mountpoint: expected string, received number`. */
export function configProblems(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${fieldPath([...issue.path, key])}: unknown field`)
    const where = fieldPath(issue.path) || '(top level)'
    if (issue.code === 'invalid_key') return issue.issues.map((inner) => `${where}: ${inner.message}`)
    return [`${where}: ${issue.message}`]
  })
}
