import { existsSync, readdirSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { builtinBackends } from '../backends/builtin.js'
import { cliPackageDir, readManifest, type PackageJson } from '../backends/packages.js'
import type { CliContext } from '../context.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { parseArgs, type FlagSpec } from '../options/flags.js'
import { scaffoldFiles, type Layer } from '../scaffold/package-files.js'

const USAGE = `Usage: fusekit create-backend <name> [--layer path|inode] [--dir <path>]

Writes a new backend package, fusekit-backend-<name>, ready to build, test and publish:
package.json, tsconfig.json, a small working backend in src/, a README, and a test file
running the @fusekit/testkit conformance kit.

Options:
  --layer path|inode  path (default): a read-write tree held in memory, requests by path;
                      inode: a read-only view of a directory, node ids of its own
  --dir <path>        where to write it (default: ./fusekit-backend-<name>); must be empty`

const NAME = /^[a-z][a-z0-9-]*$/

const FLAGS: FlagSpec[] = [
  {
    name: 'layer',
    takesValue: true,
    convert: (raw) => {
      if (raw !== 'path' && raw !== 'inode') throw new Error('expects path or inode')
      return raw
    },
  },
  { name: 'dir', takesValue: true },
]

export async function createBackendCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseArgs(args, FLAGS, 'fusekit create-backend --help')
  if (parsed.help) {
    ctx.out(USAGE)
    return EXIT_OK
  }
  const [name, extra] = parsed.positionals
  if (name === undefined) throw new UsageError('missing name (usage: fusekit create-backend <name> [--layer path|inode] [--dir <path>])')
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}" (usage: fusekit create-backend <name> [--layer path|inode] [--dir <path>])`)
  if (!NAME.test(name)) throw new UsageError(`"${name}" is not a backend name: lower-case letters, digits and dashes, starting with a letter`)
  if (name in builtinBackends) throw new UsageError(`"${name}" is a built-in backend's name: fusekit mount ${name} would never reach a package of that name`)
  const dir = resolve(ctx.cwd, (parsed.values.get('dir') as string | undefined) ?? `fusekit-backend-${name}`)
  assertEmpty(dir)

  const layer = (parsed.values.get('layer') as Layer | undefined) ?? 'path'
  const cli = readManifest(cliPackageDir) as (PackageJson & { dependencies?: Record<string, string> }) | undefined
  const files = scaffoldFiles(name, layer, { fusekit: `^${cli?.version ?? '0.1.0'}`, zod: cli?.dependencies?.zod ?? '^4.1.12' })
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), content)
  }
  ctx.out(`fusekit: wrote fusekit-backend-${name} (${layer} layer, ${Object.keys(files).length} files) to ${dir}`)
  ctx.out(`next: cd ${relative(ctx.cwd, dir) || '.'} && npm install && npm test`)
  return EXIT_OK
}

/** The package goes into a new or empty directory only: nothing of the user's is overwritten. */
function assertEmpty(dir: string): void {
  if (!existsSync(dir)) return
  if (!statSync(dir).isDirectory()) throw new UsageError(`${dir} exists and is not a directory: choose another --dir`)
  if (readdirSync(dir).length > 0) throw new UsageError(`${dir} exists and is not empty: choose another --dir`)
}
