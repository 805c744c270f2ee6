import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { apiVersionProblem, isBackendDescriptor, type BackendDescriptor } from '@fusekit/core'
import { CliError, UsageError } from '../errors.js'
import { installedBackends } from './discover.js'
import { backendSource } from './names.js'
import { findPackage, packageEntry, readManifest, searchRoots } from './packages.js'

export interface ResolvedBackend {
  descriptor: BackendDescriptor
  /** The module file that was loaded. */
  file: string
  packageName?: string
  version?: string
}

/**
 * Loads the backend named on the command line (see `backendSource` for the naming rules).
 * Packages are looked up in node_modules from the working directory first, then from the CLI's
 * own location; built-ins the other way round, so the CLI uses the versions it ships with.
 */
export async function resolveBackend(spec: string, cwd: string): Promise<ResolvedBackend> {
  const source = backendSource(spec)
  if (!source) throw new UsageError(`"${spec}" is not a backend name, package name or path`)

  let file: string
  let packageName: string | undefined
  let version: string | undefined
  if (source.kind === 'path') {
    const path = resolve(cwd, source.path)
    if (!existsSync(path)) throw new UsageError(`backend module ${path} does not exist`)
    file = statSync(path).isDirectory() ? packageEntry(path, readManifest(path)) : path
  } else {
    const pkg = findPackage(source.packageName, searchRoots(cwd, source.builtin ? 'cli-first' : 'cwd-first'))
    if (!pkg) throw unknownBackend(spec, source.packageName, cwd)
    file = packageEntry(pkg.dir, pkg.manifest)
    packageName = pkg.name
    version = pkg.manifest.version
  }

  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    throw new CliError(`cannot load backend ${spec} from ${file}: ${error instanceof Error ? error.message : String(error)}`)
  }
  const descriptor = module.default
  if (!isBackendDescriptor(descriptor)) {
    throw new CliError(`${file} does not default-export a fusekit backend (export default defineBackend({...}) from @fusekit/core)`)
  }
  const versionProblem = apiVersionProblem(descriptor)
  if (versionProblem) throw new CliError(`${versionProblem} (${file})`)
  return { descriptor, file, packageName, version }
}

function unknownBackend(spec: string, packageName: string, cwd: string): UsageError {
  const available = installedBackends(cwd).map((b) => b.name)
  const list = available.length > 0 ? available.join(', ') : 'none'
  return new UsageError(`unknown backend "${spec}": package ${packageName} is not installed here or next to fusekit; available backends: ${list}`)
}
