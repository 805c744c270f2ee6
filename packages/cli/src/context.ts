import { mask } from './errors.js'

/** Where a command runs and writes; tests and embedders can give their own. */
export interface CliContext {
  readonly cwd: string
  /** Where FUSEKIT_<BACKEND>_<OPTION> and XDG_CONFIG_HOME are read. */
  readonly env: NodeJS.ProcessEnv
  /** Writes one line to standard output. */
  out(line: string): void
  /** Writes one line to standard error, masking secrets. */
  err(line: string): void
  /** Values never to print (secret backend options), filled in as they are parsed. */
  readonly secrets: string[]
  /** Called once a mount is up and served (mount.fusekit returns to mount(8) then). */
  mounted(mountpoint: string): void
}

export interface CliIo {
  cwd?: string
  env?: NodeJS.ProcessEnv
  stdout?: (text: string) => void
  stderr?: (text: string) => void
  onMounted?: (mountpoint: string) => void
}

export function createContext(io: CliIo = {}): CliContext {
  const stdout = io.stdout ?? ((text: string) => process.stdout.write(text))
  const stderr = io.stderr ?? ((text: string) => process.stderr.write(text))
  const secrets: string[] = []
  return {
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    secrets,
    out: (line) => stdout(line + '\n'),
    err: (line) => stderr(mask(line, secrets) + '\n'),
    mounted: (mountpoint) => io.onMounted?.(mountpoint),
  }
}
