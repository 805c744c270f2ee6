import { builtinBackends } from './builtin.js'

export const PACKAGE_PREFIX = 'fusekit-backend-'

export type BackendSource =
  | { kind: 'package'; name: string; packageName: string; builtin: boolean }
  | { kind: 'path'; name: string; path: string }

const SCOPED = /^(@[a-z0-9][\w.-]*)\/([a-z0-9][\w.-]*)$/
const PLAIN = /^[a-z0-9][\w.-]*$/

/**
 * Where a backend given on the command line comes from:
 * - a built-in name (`memory`) or its package name (`@fusekit/backend-memory`);
 * - a path starting with `.` or `/`: a module file or a package directory;
 * - `<name>` → package `fusekit-backend-<name>`; `@scope/<name>` → `@scope/fusekit-backend-<name>`;
 *   a full package name (`fusekit-backend-x`, `@scope/fusekit-backend-x`) as it is.
 * Returns undefined for something that cannot be a backend name.
 */
export function backendSource(spec: string): BackendSource | undefined {
  if (spec.startsWith('.') || spec.startsWith('/')) return { kind: 'path', name: spec, path: spec }
  const builtin = (Object.hasOwn(builtinBackends, spec) ? builtinBackends[spec] : undefined) ?? Object.values(builtinBackends).find((pkg) => pkg === spec)
  if (builtin) return { kind: 'package', name: spec, packageName: builtin, builtin: true }
  const scoped = SCOPED.exec(spec)
  if (scoped) {
    const [, scope, name] = scoped as unknown as [string, string, string]
    return { kind: 'package', name: spec, packageName: name.startsWith(PACKAGE_PREFIX) ? spec : `${scope}/${PACKAGE_PREFIX}${name}`, builtin: false }
  }
  if (PLAIN.test(spec)) {
    return { kind: 'package', name: spec, packageName: spec.startsWith(PACKAGE_PREFIX) ? spec : PACKAGE_PREFIX + spec, builtin: false }
  }
  return undefined
}

/** The command-line name of an installed backend package: `fusekit-backend-x` → `x`, `@s/fusekit-backend-x` → `@s/x`. */
export function backendNameOf(packageName: string): string {
  const builtin = Object.entries(builtinBackends).find(([, pkg]) => pkg === packageName)
  if (builtin) return builtin[0]
  return packageName.replace(PACKAGE_PREFIX, '')
}
