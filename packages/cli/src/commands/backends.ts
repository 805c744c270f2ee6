import { installedBackends } from '../backends/discover.js'
import type { CliContext } from '../context.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { parseArgs } from '../options/flags.js'

const USAGE = `Usage: fusekit backends

Lists the backends fusekit can mount: the built-in ones, and packages named fusekit-backend-<name>
or @scope/fusekit-backend-<name> installed in node_modules of the current directory (or its
parents) or next to fusekit itself.`

export function backendsCommand(args: readonly string[], ctx: CliContext): number {
  const parsed = parseArgs(args, [], 'fusekit backends --help')
  if (parsed.help) {
    ctx.out(USAGE)
    return EXIT_OK
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}" (usage: fusekit backends)`)
  const backends = installedBackends(ctx.cwd)
  if (backends.length === 0) {
    ctx.out('no backends installed')
    return EXIT_OK
  }
  const rows = backends.map((b) => [b.name, b.version, b.builtin ? 'built-in' : b.packageName, b.description])
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => (row[column] as string).length)))
  for (const row of rows) ctx.out(row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
  return EXIT_OK
}
