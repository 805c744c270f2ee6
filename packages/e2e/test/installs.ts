import { writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { e2e } from './e2e-context.js'
import { cleanEnv, npm } from './npm.js'
import { run, type RunResult } from './run.js'

/** Packages installed from their tarballs, and how to run what they installed. */
export interface Installed {
  /** Where `fusekit` is linked. */
  bin: string
  /** The directory of an installed package. */
  packageDir: (name: string) => string
  /** Where the CLI runs from. */
  cwd: string
}

export interface ProjectInstallOptions {
  /** npm's environment (default: no compiler on PATH). */
  env?: NodeJS.ProcessEnv
  /** Added to the project's package.json (say, allowScripts). */
  manifest?: Record<string, unknown>
  /** Runs npm through this command (a namespace wrapper). */
  via?: readonly string[]
}

/** The tarballs of every packed package. */
export const allTarballs = (): string[] => e2e.packed.map((pkg) => pkg.tarball)

/** `npm install <tarballs>` in a fresh project in `dir`. */
export async function installProject(dir: string, tarballs: string[], options: ProjectInstallOptions = {}): Promise<Installed> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fusekit-e2e-project', private: true, ...options.manifest }))
  await npm(['install', ...tarballs], dir, options.env ?? cleanEnv(e2e.compilerFree), options.via)
  return { bin: join(dir, 'node_modules/.bin'), packageDir: (name) => join(dir, 'node_modules', name), cwd: dir }
}

/** `npm install --global --prefix <prefix> <tarballs>` (through `via` when given); the CLI runs from the work directory. */
export async function installGlobally(prefix: string, tarballs: string[], via?: readonly string[]): Promise<Installed> {
  await npm(['install', '--global', '--prefix', prefix, ...tarballs], prefix, cleanEnv(e2e.compilerFree), via)
  return { bin: join(prefix, 'bin'), packageDir: (name) => join(prefix, 'lib/node_modules', name), cwd: e2e.work }
}

/** A user's environment: the install's commands first on PATH, then `path` (default: no compiler). */
export function userEnv(installed: Installed, path = e2e.compilerFree): NodeJS.ProcessEnv {
  return cleanEnv(`${installed.bin}${delimiter}${path}`)
}

/** `fusekit <args>` found on PATH, as a user runs it. */
export function fusekit(installed: Installed, args: string[], options: { env?: NodeJS.ProcessEnv; via?: readonly string[] } = {}): Promise<RunResult> {
  return run('fusekit', args, { cwd: installed.cwd, env: options.env ?? userEnv(installed), via: options.via, timeoutMs: 60_000 })
}
