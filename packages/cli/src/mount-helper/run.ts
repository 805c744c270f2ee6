import { resolve } from 'node:path'
import { mountCommandFlags } from '../commands/mount.js'
import { mountTarget } from '../commands/mount-target.js'
import { createContext, type CliContext, type CliIo } from '../context.js'
import { describeError, EXIT_USAGE } from '../errors.js'
import { defaultLogFile, mountInBackground } from './background.js'
import { fstabArguments, helperOptions, type HelperOptions } from './fstab-options.js'
import { HELPER_USAGE, parseHelperArgs, type HelperRequest } from './helper-args.js'

const HELP = `Usage: ${HELPER_USAGE}

The helper mount(8) runs for filesystems of type fusekit, as for the /etc/fstab line
  memory /mnt/scratch fusekit defaults,size=1G 0 0
It mounts like fusekit mount <backend or named mount> <mountpoint>, in the background, and returns
once the mount is up (0) or with its error (1: a wrong option, 32: the mount failed).

Options (-o): ro → --read-only; an option named like a flag of the backend or a mount flag, with
_ for - (size=1G, allow_other, attr_timeout=1) → that flag; config=<file> → --config <file>;
log=<file>: where the mount's output goes (default /var/log/fusekit/<mountpoint, / as ->.log);
mount(8)'s own (defaults, auto, noauto, user, users, nofail, _netdev, rw, x-*) are dropped;
anything else is a raw FUSE option (-o noatime).
-f: do everything but mount; -v: print the fusekit command line and the mount's output.`

/** mount(8)'s exit codes, which it passes on from its helpers: incorrect invocation, and mount failure. */
const MOUNT_USAGE = 1
const MOUNT_FAILURE = 32

/**
 * mount.fusekit: what mount(8) runs for an fstab line of type fusekit
 * (`memory /mnt/scratch fusekit defaults,size=1G 0 0` → `mount.fusekit memory /mnt/scratch -o rw,size=1G`).
 * Translates the -o list into fusekit mount's arguments, starts the mount in the background and
 * returns once it is up, or with its error. Resolves with mount(8)'s exit code.
 */
export async function runMountHelper(argv: readonly string[], io?: CliIo): Promise<number> {
  const ctx = createContext(io)
  const report = (text: string) => ctx.err(`mount.fusekit: ${text}`)
  if (argv[0] === '-h' || argv[0] === '--help') {
    ctx.out(HELP)
    return 0
  }
  try {
    const request = parseHelperArgs(argv)
    const options = helperOptions(request.options)
    const fusekitArgv = await fusekitArguments(request, options, ctx)
    const logFile = options.log ? resolve(ctx.cwd, options.log) : defaultLogFile(request.mountpoint)
    if (request.verbose) report(`fusekit ${fusekitArgv.map(quoted).join(' ')} (output to ${logFile})`)
    if (request.fake) return 0

    // mount(8) is quiet when all goes well: the mount's own output is shown when it fails, or with -v.
    const write = io?.stderr ?? ((text: string) => process.stderr.write(text))
    let held = ''
    const code = await mountInBackground({
      argv: fusekitArgv,
      cwd: ctx.cwd,
      label: [request.spec, request.mountpoint],
      logFile,
      onOutput: (chunk) => (request.verbose ? write(chunk) : (held += chunk)),
    })
    if (code === 0) return 0
    write(held)
    return code === EXIT_USAGE ? MOUNT_USAGE : MOUNT_FAILURE
  } catch (error) {
    const { text, exitCode } = describeError(error, ctx.secrets, false)
    report(`error: ${text}`)
    return exitCode === EXIT_USAGE ? MOUNT_USAGE : MOUNT_FAILURE
  }
}

/** The `fusekit mount` arguments an fstab line stands for; the values of secret options go to ctx.secrets. */
async function fusekitArguments(request: HelperRequest, options: HelperOptions, ctx: CliContext): Promise<string[]> {
  const target = await mountTarget(request.spec, options.config, ctx)
  const { flags } = mountCommandFlags(target.backend.descriptor)
  const mountArgs = fstabArguments(options.rest, flags)
  for (const flag of flags.filter((f) => f.secret)) {
    for (const arg of mountArgs) if (arg.startsWith(`--${flag.name}=`)) ctx.secrets.push(arg.slice(flag.name.length + 3))
  }
  // The mount's source is the line's first field unless told otherwise: mount -a tells a line
  // already mounted by its source and mountpoint.
  const named = mountArgs.some((arg) => arg.startsWith('--fsname=')) || target.entry?.mountOptions.fsname !== undefined
  const config = options.config ? ['--config', options.config] : []
  return ['mount', request.spec, request.mountpoint, ...config, ...(named ? [] : [`--fsname=${request.spec}`]), ...mountArgs]
}

function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}
