import { existsSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import type { MountOptions } from '@fusekit/core'
import { parse } from 'yaml'
import { CliError, UsageError } from '../errors.js'
import { configProblems, configSchema } from './config-schema.js'

/** One entry of a config file's `mounts`, with its paths made absolute. */
export interface NamedMount {
  name: string
  /** The config file that defines it, for error messages. */
  file: string
  /** As given to fusekit mount: a backend name, a package name or an absolute path. */
  backend: string
  mountpoint: string | undefined
  options: Record<string, unknown>
  mountOptions: Partial<MountOptions>
}

export interface ConfigFile {
  path: string
  mounts: ReadonlyMap<string, NamedMount>
}

/** File names looked for in each directory. JSON is read by the YAML 1.2 parser too (JSON is a subset of it). */
const CONFIG_NAMES = ['fusekit.config.json', 'fusekit.config.yaml', 'fusekit.config.yml'] as const

/** Where config files are looked for when none is given: the working directory, then $XDG_CONFIG_HOME/fusekit. */
function configDirs(cwd: string, env: NodeJS.ProcessEnv): string[] {
  const xdg = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return [cwd, join(xdg, 'fusekit')]
}

/** The config file in force: the first directory holding one wins; two names in one directory are refused. */
export function findConfigFile(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of configDirs(cwd, env)) {
    const found = CONFIG_NAMES.map((name) => join(dir, name)).filter((path) => existsSync(path))
    if (found.length > 1) throw new UsageError(`${found.join(' and ')} both exist: keep one`)
    if (found[0]) return found[0]
  }
  return undefined
}

/** Reads and checks a config file; every problem names the file and the field. */
export function readConfigFile(path: string): ConfigFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new UsageError(`config file ${path} does not exist`)
    throw new CliError(`cannot read config file ${path}: ${(error as Error).message}`)
  }
  let data: unknown
  try {
    data = parse(text)
  } catch (error) {
    // The parser's message goes on with a picture of the line: keep the sentence with its position.
    throw new UsageError(`${path}: ${(error as Error).message.split('\n')[0]}`)
  }
  const result = configSchema.safeParse(data ?? {})
  if (!result.success) throw new UsageError(`${path}: ${configProblems(result.error).join('; ')}`)
  const base = dirname(path)
  const mounts = new Map<string, NamedMount>()
  for (const [name, entry] of Object.entries(result.data.mounts)) {
    mounts.set(name, {
      name,
      file: path,
      backend: entry.backend.startsWith('.') ? resolve(base, entry.backend) : entry.backend,
      mountpoint: entry.mountpoint === undefined ? undefined : resolve(base, entry.mountpoint),
      options: entry.options ?? {},
      mountOptions: entry.mountOptions ?? {},
    })
  }
  return { path, mounts }
}
