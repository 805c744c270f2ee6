import { pathToFileURL } from 'node:url'
import { apiVersionProblem, isBackendDescriptor, type BackendDescriptor } from '@fusekit/core'
import { CliError } from '../errors.js'

/** A backend module that cannot be used: `reason` alone is what `fusekit backends` shows. */
export class BackendLoadError extends CliError {
  constructor(
    readonly reason: string,
    where: string,
  ) {
    super(`cannot load backend ${where}: ${reason}`)
  }
}

/**
 * Imports a backend module and checks its default export: that it exists, speaks this core's
 * plugin API version, and has a descriptor's shape. `where` names it in errors
 * (`fusekit-backend-x 1.2.3 (/path/index.js)`); every failure is one line.
 */
export async function loadBackendModule(file: string, where: string): Promise<BackendDescriptor> {
  let module: { default?: unknown }
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown }
  } catch (error) {
    throw new BackendLoadError(oneLine(error), where)
  }
  const exported = module.default
  if (exported === undefined) throw new BackendLoadError('no default export (export default defineBackend({...}) from @fusekit/core)', where)
  const { apiVersion } = (exported ?? {}) as { apiVersion?: unknown }
  // Checked before the shape: an older or newer descriptor may be shaped differently.
  const versionProblem = typeof apiVersion === 'number' ? apiVersionProblem(exported as { apiVersion: number }) : undefined
  if (versionProblem) throw new BackendLoadError(versionProblem, where)
  if (!isBackendDescriptor(exported)) {
    throw new BackendLoadError(`its default export is not a fusekit backend: ${shapeProblems(exported)} (export default defineBackend({...}) from @fusekit/core)`, where)
  }
  return exported
}

/** What a default export lacks to be a descriptor, e.g. `no apiVersion, create is not a function`. */
function shapeProblems(value: unknown): string {
  if (typeof value !== 'object' || value === null) return `it is ${value === null ? 'null' : typeof value}`
  const v = value as Record<string, unknown>
  const problems = [
    typeof v.name === 'string' ? undefined : 'no name',
    typeof v.apiVersion === 'number' ? undefined : 'no apiVersion',
    typeof v.create === 'function' ? undefined : 'no create()',
    v.options !== undefined ? undefined : 'no options schema',
  ]
  return problems.filter(Boolean).join(', ')
}

/** An error as one line: its kind when that says something (SyntaxError), and its message's first line. */
export function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split('\n')[0] ?? ''
  const message = error.message.split('\n').find((line) => line.trim() !== '') ?? ''
  return error.name === 'Error' || error.name === 'CliError' ? message : `${error.name}: ${message}`
}
