import { coreCopyWarning } from '../backends/core-copy.js'
import { installedBackends, type InstalledBackend } from '../backends/discover.js'
import { probeBackend, type ProbeResult } from '../backends/probe.js'
import type { CliContext } from '../context.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { formatFlags, parseArgs, parseNumber, type FlagSpec } from '../options/flags.js'

const FLAGS: FlagSpec[] = [
  { name: 'json', takesValue: false, description: 'Print a JSON array (name, package, version, builtin, description, dir, layer, loads, problem, warning)' },
  {
    name: 'timeout',
    takesValue: true,
    label: 'seconds',
    defaultValue: '30',
    description: 'How long loading one backend may take before it is reported as not loading',
    convert: (raw) => {
      const seconds = parseNumber(raw)
      if (seconds === undefined || seconds <= 0) throw new Error('expects a number of seconds above 0')
      return seconds
    },
  },
]

const USAGE = `Usage: fusekit backends [--json] [--timeout <seconds>]

Lists the backends fusekit can mount: the built-in ones, and packages named fusekit-backend-<name>
or @scope/fusekit-backend-<name> installed in node_modules of the current directory (or its
parents) or next to fusekit itself. Each is loaded in a child process of its own, to tell its
layer (inode or path) and whether it loads; one that hangs or crashes cannot stop the listing.

Options:
${formatFlags(FLAGS).join('\n')}`

interface Row extends InstalledBackend {
  probe: ProbeResult
  warning: string | undefined
}

export async function backendsCommand(args: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseArgs(args, FLAGS, 'fusekit backends --help')
  if (parsed.help) {
    ctx.out(USAGE)
    return EXIT_OK
  }
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument "${parsed.positionals[0]}" (usage: fusekit backends [--json])`)
  const timeoutMs = ((parsed.values.get('timeout') as number | undefined) ?? 30) * 1000
  const rows = await inBatches(installedBackends(ctx.cwd), PROBES_AT_ONCE, async (backend): Promise<Row> => {
    const probe = await probeBackend(backend.file, `${backend.packageName} ${backend.version} (${backend.file})`, timeoutMs)
    return { ...backend, probe, warning: probe.loads ? coreCopyWarning(backend.dir, backend.name) : undefined }
  })
  if (parsed.values.get('json') === true) ctx.out(JSON.stringify(rows.map(asJson), null, 2))
  else if (rows.length === 0) ctx.out('no backends installed')
  else for (const line of table(rows)) ctx.out(line)
  return EXIT_OK
}

/** Child processes loading backends at one time: a dozen Node processes starting together would each take seconds. */
const PROBES_AT_ONCE = 4

/** `work` over every item, at most `limit` at a time, results in the items' order. */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

function asJson(row: Row) {
  const { name, packageName, version, builtin, description, dir, probe, warning } = row
  return {
    name,
    package: packageName,
    version,
    builtin,
    description,
    dir,
    layer: probe.loads ? probe.layer : null,
    loads: probe.loads,
    problem: probe.loads ? null : probe.problem,
    warning: warning ?? null,
  }
}

/** An aligned table with a header; the last column (status) is left ragged. */
function table(rows: readonly Row[]): string[] {
  const cells = [
    ['NAME', 'PACKAGE', 'VERSION', 'LAYER', 'STATUS'],
    ...rows.map((row) => [row.name, row.packageName, row.version, row.probe.loads ? row.probe.layer : '-', status(row)]),
  ]
  const widths = [0, 1, 2, 3].map((column) => Math.max(...cells.map((line) => (line[column] as string).length)))
  return cells.map((line) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
}

function status(row: Row): string {
  if (!row.probe.loads) return `does not load: ${row.probe.problem}`
  return row.warning ? `loads (warning: ${row.warning})` : 'loads'
}
