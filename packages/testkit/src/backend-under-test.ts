import { isAbsolute, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { isBackendDescriptor, type BackendDescriptor } from '@fusekit/core'

/**
 * The backend a test block checks: its descriptor (mounted by its name, as `fusekit mount <name>`
 * finds it, unless a `module` is given beside it), a module URL (`new URL('../dist/index.js',
 * import.meta.url)`), or what `fusekit mount` takes: a backend name, a package name, a path.
 */
export type BackendUnderTest = BackendDescriptor | URL | string

/** A backend's options as its schema names them (camelCase keys). */
export type BackendOptions = Record<string, unknown>

/** Options given as they are, or computed when the block starts (a fresh directory, a bucket, an archive). */
export type OptionsSource = BackendOptions | (() => BackendOptions | Promise<BackendOptions>)

export async function resolveOptions(source: OptionsSource | undefined): Promise<BackendOptions> {
  return (typeof source === 'function' ? await source() : source) ?? {}
}

/** What `fusekit mount` is given for the backend: a name, or an absolute module path. */
export function mountSpec(backend: BackendUnderTest, module?: URL | string): string {
  const where = module ?? (isBackendDescriptor(backend) ? backend.name : backend)
  if (where instanceof URL) return fileURLToPath(where)
  // The CLI takes a path only when it starts with . or /: a bare relative path would be a name.
  return where.startsWith('.') ? resolve(where) : where
}

/** A short name for titles: the descriptor's name, or the module or name as given. */
export function backendLabel(backend: BackendUnderTest): string {
  if (isBackendDescriptor(backend)) return backend.name
  return backend instanceof URL ? fileURLToPath(backend) : backend
}

/** The descriptor itself: given, or the default export of the module at a URL or path. */
export async function loadDescriptor(backend: BackendUnderTest): Promise<BackendDescriptor> {
  if (isBackendDescriptor(backend)) return backend
  if (typeof backend === 'string' && !isAbsolute(backend) && !backend.startsWith('.')) {
    throw new Error(`"${backend}" is a name: give the descriptor itself (import it) or its module's URL or path`)
  }
  const url = backend instanceof URL ? backend : pathToFileURL(resolve(backend))
  const module = (await import(url.href)) as { default?: unknown }
  if (!isBackendDescriptor(module.default)) throw new Error(`${backendLabel(backend)} does not default-export a fusekit backend (defineBackend from @fusekit/core)`)
  return module.default
}
