#!/usr/bin/env node
// fusekit benchmarks (not tests): each backend side by side with bindfs and a non-FUSE baseline,
// in one run, under one machine-wide policy for all of them (--latency-request). As root:
// node bench/run.mjs memory|passthrough|all [options]; see bench/README.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cleanupAll, installCleanupHandlers } from './lib/cleanup.mjs'
import { fail, parseCommandLine, positiveInteger } from './lib/command-line.mjs'
import { runGroup } from './lib/group-runs.mjs'
import { LATENCY_MODES, applyLatencyMode } from './lib/cpu-latency.mjs'
import { cliBin, repoRoot } from './lib/mounts.mjs'
import { Samples, headerLines, phaseLines, summaryMarkdown } from './lib/report.mjs'
import { capture, commandExists, machineInfo } from './lib/system.mjs'
import { memorySuite } from './suites/memory.mjs'
import { passthroughSuite } from './suites/passthrough.mjs'

const core = await import(pathToFileURL(join(repoRoot, 'packages/core/dist/index.js')).href)

const SUITES = { memory: memorySuite, passthrough: passthroughSuite }
const USAGE = `usage: node bench/run.mjs memory|passthrough|all [options]   (as root)
  --runs N               repetitions of every phase; the median is reported (3)
  --size-mib N           size of the sequential file in MiB (1024)
  --files N              number of small files (10000)
  --scale-files N[,N]    files in the one directory of the scale phases (100000; 100000,1000000 adds a million)
  --latency-request M    the machine-wide policy, the same for every target: off (none, the default),
                         both (a 0 µs CPU latency request held by the bench), or off,both (each in turn)
  --tree DIR             tree copied by the passthrough suite (node_modules/.pnpm of this repo)
  --source-parent DIR    where the passthrough source directory is created (/var/tmp)
  --fio-size-mib N       size of the fio file in MiB (256)
  --fio-runtime S        seconds per fio run (10)
  --only KEYS            comma-separated phase groups: seq, files, scale (memory); seq, tree, fio, scale (passthrough)
  --fusekit-arg ARG      extra argument for 'fusekit mount' (repeatable, e.g. --fusekit-arg=--attr-timeout=5)
  --bindfs-option OPT    extra -o option for bindfs (repeatable)
  --bindfs-multithreaded run bindfs with --multithreaded (it is single-threaded by default)
  --out FILE             where to write the JSON results (bench/results/<memory|passthrough|all>-<time>.json)`

const { values: flags, positionals } = parseCommandLine({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '1024' },
    files: { type: 'string', default: '10000' },
    'scale-files': { type: 'string', default: '100000' },
    'latency-request': { type: 'string', default: 'off' },
    tree: { type: 'string', default: join(repoRoot, 'node_modules/.pnpm') },
    'source-parent': { type: 'string', default: '/var/tmp' },
    'fio-size-mib': { type: 'string', default: '256' },
    'fio-runtime': { type: 'string', default: '10' },
    only: { type: 'string' },
    'fusekit-arg': { type: 'string', multiple: true, default: [] },
    'bindfs-option': { type: 'string', multiple: true, default: [] },
    'bindfs-multithreaded': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
}, USAGE)

if (flags.help) {
  console.log(USAGE)
  process.exit(0)
}
const which = positionals[0]
if (positionals.length !== 1 || !(which in SUITES || which === 'all')) fail(USAGE, 2)

const settings = {
  runs: positiveInteger('runs', flags.runs),
  sizeMiB: positiveInteger('size-mib', flags['size-mib']),
  files: positiveInteger('files', flags.files),
  scaleFiles: flags['scale-files'].split(',').map((n) => positiveInteger('scale-files', n)),
  latencyModes: flags['latency-request'].split(',').map(latencyMode),
  tree: flags.tree,
  sourceParent: flags['source-parent'],
  fioSizeMiB: positiveInteger('fio-size-mib', flags['fio-size-mib']),
  fioRuntime: positiveInteger('fio-runtime', flags['fio-runtime']),
  only: flags.only?.split(','),
  fusekitArgs: flags['fusekit-arg'],
  bindfsOptions: flags['bindfs-option'],
  bindfsFlags: flags['bindfs-multithreaded'] ? ['--multithreaded'] : [],
}
const suites = which === 'all' ? Object.values(SUITES) : [SUITES[which]]

preflight(suites)
const groupsOf = new Map(suites.map((suite) => [suite, suite.groups(settings)]))
const groupKeys = [...groupsOf.values()].flat().map((group) => group.key)
const unknownKeys = settings.only?.filter((key) => !groupKeys.includes(key)) ?? []
if (unknownKeys.length > 0) fail(`--only: no phase group ${unknownKeys.join(', ')} in this run; choose from ${groupKeys.join(', ')}`, 2)
installCleanupHandlers()
const info = environment()
console.log(headerLines(info).join('\n'))
if (os.loadavg()[0] > 0.5) console.log(`warning: the machine is busy (load ${os.loadavg()[0].toFixed(2)}): figures will be noisy`)
const results = { info, settings, runs: [] }
const summaries = []
for (const suite of suites) {
  // Both policies on one suite back to back, so that they see the machine in the same state.
  for (const mode of settings.latencyModes) {
    const release = applyLatencyMode(mode)
    try {
      await runSuite(suite, mode)
    } catch (error) {
      cleanupAll()
      fail(`bench: the ${suite.name} suite failed: ${error.message}`, 1)
    } finally {
      release()
      cleanupAll()
    }
  }
}
console.log(summaries.join('\n\n'))

async function runSuite(suite, mode) {
  const groups = groupsOf.get(suite).filter((g) => !settings.only || settings.only.includes(g.key))
  console.log(`\n=== ${suite.name} suite, latency request ${mode}: ${LATENCY_MODES[mode]}; ${settings.runs} run(s) per phase, median reported ===`)
  const { targets, fuseOptions, notes = [] } = await suite.mount(settings)
  console.log(`fusekit ${suite.subject} FUSE options (also given to bindfs): ${fuseOptions.join(',')}`)
  for (const note of notes) console.log(note)
  for (const target of targets) console.log(`${target.name.padEnd(12)} ${target.commands.join('  &&  ')}`)

  const samples = new Samples()
  for (const group of groups) {
    for (const target of targets) await group.prepare?.(target)
    await runGroup(group, targets, settings.runs, samples)
    for (const target of targets) await group.finish?.(target)
    for (const phase of group.phases) console.log('\n' + phaseLines(suite, phase, targets, samples).join('\n'))
  }

  const phases = groups.flatMap((g) => g.phases)
  for (const target of targets) {
    const log = target.server?.log() ?? []
    if (log.length > 0) console.log(`\n${target.name} mount printed:\n  ${log.join('\n  ')}`)
  }
  summaries.push(
    [
      `${suite.name} summary, latency request ${mode} (${LATENCY_MODES[mode]}); CPU and RSS are the serving process's:`,
      '',
      ...summaryMarkdown(suite, phases, targets, samples),
    ].join('\n'),
  )
  results.runs.push({ suite: suite.name, latencyRequest: mode, fuseOptions, targets: targets.map(({ name, commands }) => ({ name, commands })), phases, samples })
  saveResults()
}

/** Everything measured so far, in one file: rewritten after each suite, so a failure keeps the rest. */
function saveResults() {
  const stamp = info.date.replace(/[:.]/g, '-')
  const file = flags.out ?? join(repoRoot, 'bench/results', `${which}-${stamp}.json`)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n')
  console.log(`\nresults written to ${file}`)
}

function preflight(suites) {
  const problems = []
  if (process.getuid?.() !== 0) problems.push('run as root: the bench drops caches and mounts tmpfs')
  if (!existsSync('/dev/fuse')) problems.push('/dev/fuse is missing: load the fuse module (modprobe fuse)')
  const tools = ['bindfs', 'fusermount', ...(suites.includes(passthroughSuite) ? ['fio'] : [])]
  const missing = tools.filter((t) => !commandExists(t))
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}: apt-get install -y bindfs fio fuse (or run bench/setup.sh)`)
  const packages = ['packages/core', 'packages/cli', ...suites.map((s) => `packages/backend-${s.name}`)]
  const unbuilt = packages.filter((p) => !existsSync(join(repoRoot, p, 'dist/index.js')))
  if (unbuilt.length > 0 || !existsSync(cliBin)) problems.push(`build first (pnpm build): no dist in ${unbuilt.join(', ') || 'packages/cli'}`)
  if (settings.latencyModes.includes('both') && !existsSync('/dev/cpu_dma_latency')) problems.push('--latency-request both: this kernel has no /dev/cpu_dma_latency')
  if ((!settings.only || settings.only.includes('scale')) && !commandExists('gcc')) problems.push('the scale phases build a small C helper: apt-get install -y gcc libc6-dev')
  if (suites.includes(passthroughSuite) && !existsSync(settings.tree)) problems.push(`the tree to copy, ${settings.tree}, does not exist (pnpm install, or --tree DIR)`)
  if (problems.length > 0) fail(problems.map((p) => `bench: ${p}`).join('\n'), 1)
}

function environment() {
  const version = (command, args) => {
    try {
      return capture(command, args).split('\n')[0]
    } catch {
      return 'unknown'
    }
  }
  const libfuseOf = (file) => version('sh', ['-c', `ldd "$1" | grep -o 'libfuse[^ ]*' | head -1`, 'sh', file]) || 'not linked'
  const fuseNative = version('sh', ['-c', `ls "$1"/node_modules/.pnpm/fuse-native@*/node_modules/fuse-native/prebuilds/linux-x64/node.napi.node | head -1`, 'sh', repoRoot])
  const machine = machineInfo()
  return {
    ...machine,
    fusekit: `${version('git', ['-C', repoRoot, 'describe', '--always', '--dirty'])} (${fusekitSetup(settings.fusekitArgs)}; fuse-native over ${libfuseOf(fuseNative)})`,
    bindfs: `${version('bindfs', ['--version'])} over ${libfuseOf(version('sh', ['-c', 'command -v bindfs']))}${settings.bindfsFlags.length ? ', --multithreaded' : ', single-threaded (its default)'}`,
    fio: version('fio', ['--version']),
    'latency request': settings.latencyModes.map((mode) => `${mode}: ${LATENCY_MODES[mode]}`).join('; then '),
    command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`,
  }
}

/**
 * The driver and hot loop the fusekit mounts get: what --fusekit-arg chose, with core resolving
 * the rest ('auto') as the mounts will. A hot loop is fusekit's alone: the header says so.
 */
function fusekitSetup(fusekitArgs) {
  const given = (flag) => fusekitArgs.join(' ').match(new RegExp(`--${flag}[= ](\\S+)`))?.[1]
  const ms = given('hot-loop-ms')
  const options = core.resolveMountOptions({ driver: given('driver'), hotLoop: given('hot-loop'), hotLoopMs: ms === undefined ? undefined : Number(ms) })
  const way = { 'cpu-latency': 'CPU latency request', 'event-loop': 'event-loop polling' }[core.hotLoopMode(options)]
  return `${options.driver} driver, ${way ? `hot loop ${options.hotLoopMs} ms: ${way} (fusekit only: not the same policy for both sides)` : 'hot loop off'}`
}




function latencyMode(mode) {
  if (!(mode in LATENCY_MODES)) fail(`--latency-request must be off, both, or both separated by a comma, got "${mode}"`, 2)
  return mode
}

