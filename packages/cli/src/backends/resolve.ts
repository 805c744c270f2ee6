import { existsSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { BackendDescriptor } from '@fusekit/core'
import { UsageError } from '../errors.js'
import { coreCopyWarning } from './core-copy.js'
import { installedBackends } from './discover.js'
import { installCommand } from './install-hint.js'
import { loadBackendModule } from './load.js'
import { backendSource } from './names.js'
import { findPackage, packageEntry, readManifest, searchRoots } from './packages.js'

export interface ResolvedBackend {
  descriptor: BackendDescriptor
  /** The module file that was loaded. */
  file: string
  packageName?: string
  version?: string
  /** Things to tell the user that do not stop the mount (a second copy of @fusekit/core). */
  warnings: string[]
}

/** The backend named is neither built in, installed, nor a path. */
export class UnknownBackendError extends UsageError {}

/**
 * Loads the backend named on the command line (see `backendSource` for the naming rules).
 * Packages are looked up in node_modules from the working directory first, then from the CLI's
 * own location; built-ins the other way round, so the CLI uses the versions it ships with.
 */
export async function resolveBackend(spec: string, cwd: string): Promise<ResolvedBackend> {
  const source = backendSource(spec)
  if (!source) throw new UsageError(`"${spec}" is not a backend name, package name or path`)

  if (source.kind === 'path') {
    const path = resolve(cwd, source.path)
    if (!existsSync(path)) throw new UsageError(`backend module ${path} does not exist`)
    const file = statSync(path).isDirectory() ? packageEntry(path, readManifest(path)) : path
    const descriptor = await loadBackendModule(file, file)
    return { descriptor, file, warnings: warningsFor(dirname(file), descriptor) }
  }
  const pkg = findPackage(source.packageName, searchRoots(cwd, source.builtin ? 'cli-first' : 'cwd-first'))
  if (!pkg) throw unknownBackend(spec, source.packageName, cwd)
  const file = packageEntry(pkg.dir, pkg.manifest)
  const version = pkg.manifest.version
  const descriptor = await loadBackendModule(file, `${pkg.name}${version ? ` ${version}` : ''} (${file})`)
  return { descriptor, file, packageName: pkg.name, version, warnings: warningsFor(pkg.dir, descriptor) }
}

function warningsFor(dir: string, descriptor: BackendDescriptor): string[] {
  const warning = coreCopyWarning(dir, descriptor.name)
  return warning ? [warning] : []
}

function unknownBackend(spec: string, packageName: string, cwd: string): UnknownBackendError {
  const available = installedBackends(cwd).map((b) => b.name)
  return new UnknownBackendError(
    `unknown backend "${spec}": package ${packageName} is not installed here or next to fusekit; ` +
      `install it with \`${installCommand(packageName)}\` (installed backends: ${available.length > 0 ? available.join(', ') : 'none'})`,
  )
}
