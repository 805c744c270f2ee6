import { backendsCommand } from './commands/backends.js'
import { createBackendCommand } from './commands/create-backend.js'
import { mountCommand } from './commands/mount.js'
import { unmountCommand } from './commands/unmount.js'
import { createContext, type CliIo } from './context.js'
import { describeError, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js'
import { versionLines } from './version.js'

const USAGE = `Usage: fusekit <command> [options]

Commands:
  mount <backend> <mountpoint> [options]  Mount a backend in the foreground (Ctrl-C unmounts);
                                          or mount <name>: a named mount of fusekit.config.json
  unmount [--abort] <mountpoint>          Unmount, also a stale mount left by a killed process
                                          (--abort: also one whose process is stopped or hung)
  backends                                List the installed backends with their versions
  create-backend <name> [--layer path|inode]
                                          Write a new backend package with tests, ready to publish

Options:
  -h, --help     Show help; fusekit mount <backend> --help shows a backend's options
  -v, --version  Show the version of each fusekit package, one per line

Exit codes: 0 success, 1 failure, 2 wrong usage.`

/** Runs the fusekit command line; resolves with the exit code. `mount` resolves once unmounted. */
export async function runCli(argv: readonly string[], io?: CliIo): Promise<number> {
  const ctx = createContext(io)
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
        ctx.err(USAGE)
        return EXIT_USAGE
      case '-h':
      case '--help':
      case 'help':
        ctx.out(USAGE)
        return EXIT_OK
      case '-v':
      case '--version':
        for (const line of versionLines(ctx.cwd)) ctx.out(line)
        return EXIT_OK
      case 'mount':
        return await mountCommand(rest, ctx)
      case 'unmount':
      case 'umount':
        return await unmountCommand(rest, ctx)
      case 'backends':
        return await backendsCommand(rest, ctx)
      case 'create-backend':
        return await createBackendCommand(rest, ctx)
      default:
        throw new UsageError(`unknown command "${command}"; commands: mount, unmount, backends, create-backend (see fusekit --help)`)
    }
  } catch (error) {
    const { text, exitCode } = describeError(error, ctx.secrets, argv.includes('--debug'))
    ctx.err(`fusekit: error: ${text}`)
    return exitCode
  }
}
