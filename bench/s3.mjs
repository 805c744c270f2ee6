#!/usr/bin/env node
// The S3 backend side by side with s3fs-fuse and rclone mount, and the raw SDK as the ceiling, on
// one Ceph RADOS Gateway started for the run. As root: node bench/s3.mjs [options]; see bench/README.md.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { cleanupAll, installCleanupHandlers } from './lib/cleanup.mjs'
import { fail, parseCommandLine, positiveInteger } from './lib/command-line.mjs'
import { runGroup } from './lib/group-runs.mjs'
import { cliBin, repoRoot, scratchDir } from './lib/mounts.mjs'
import { Samples, headerLines } from './lib/report.mjs'
import { phaseTable, summaryTable } from './lib/s3-report.mjs'
import { longListing, randomReads, sequential, smallFiles } from './lib/s3-phases.mjs'
import { mountTargets, rawTarget, s3Versions, startGateway } from './lib/s3-targets.mjs'
import { capture, commandExists, exec, machineInfo } from './lib/system.mjs'

const USAGE = `usage: node bench/s3.mjs [options]   (as root)
  --runs N               repetitions of every phase; the median is reported (3)
  --size-mib N           size of the sequential file in MiB (256)
  --files N              number of small files (1000)
  --list N               objects in the directory listed with ls -l (5000)
  --random-mib N         size of the object read at random offsets, in MiB (64)
  --random-large-mib N   size of a second one, larger than the mount's read memory, in MiB (512; 0: none)
  --random-seconds S     seconds of random reads per run (10)
  --store memstore|bluestore   the gateway's object store (memstore)
  --only KEYS            comma-separated phase groups: seq, files, list, random
  --fusekit-arg ARG      extra argument for 'fusekit mount s3' (repeatable)
  --out FILE             where to write the JSON results (bench/results/s3-<time>.json)`

const { values: flags } = parseCommandLine({
  options: {
    runs: { type: 'string', default: '3' },
    'size-mib': { type: 'string', default: '256' },
    files: { type: 'string', default: '1000' },
    list: { type: 'string', default: '5000' },
    'random-mib': { type: 'string', default: '64' },
    'random-large-mib': { type: 'string', default: '512' },
    'random-seconds': { type: 'string', default: '10' },
    store: { type: 'string', default: 'memstore' },
    only: { type: 'string' },
    'fusekit-arg': { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
}, USAGE)
if (flags.help) {
  console.log(USAGE)
  process.exit(0)
}

const BUCKET = 'bench'
const settings = {
  runs: positiveInteger('runs', flags.runs),
  sizeMiB: positiveInteger('size-mib', flags['size-mib']),
  files: positiveInteger('files', flags.files),
  list: positiveInteger('list', flags.list),
  randomMiB: positiveInteger('random-mib', flags['random-mib']),
  randomLargeMiB: flags['random-large-mib'] === '0' ? 0 : positiveInteger('random-large-mib', flags['random-large-mib']),
  randomSeconds: positiveInteger('random-seconds', flags['random-seconds']),
  store: ['memstore', 'bluestore'].includes(flags.store) ? flags.store : fail('--store must be memstore or bluestore', 2),
  only: flags.only?.split(','),
  fusekitArgs: flags['fusekit-arg'],
}
const groups = [
  sequential({ sizeMiB: settings.sizeMiB, bucket: BUCKET }),
  smallFiles({ count: settings.files, bucket: BUCKET, keysLeft: (prefix) => keysUnder(prefix) }),
  longListing({ count: settings.list, bucket: BUCKET }),
  randomReads({ sizeMiB: settings.randomMiB, largeMiB: settings.randomLargeMiB, seconds: settings.randomSeconds, bucket: BUCKET }),
].filter((g) => !settings.only || settings.only.includes(g.key))
if (groups.length === 0) fail(`--only: choose from seq, files, list, random`, 2)

preflight()
installCleanupHandlers()
const root = scratchDir(os.tmpdir(), 'fusekit-bench-s3-mounts-')
const gateway = startGateway(os.tmpdir(), settings.store)
const { S3ObjectStore } = await import(pathToFileURL(join(repoRoot, 'packages/backend-s3/dist/index.js')).href)
const store = new S3ObjectStore({ endpoint: gateway.endpoint, bucket: BUCKET })

try {
  await run()
} catch (error) {
  cleanupAll()
  fail(`bench: the S3 suite failed: ${error.stack ?? error.message}`, 1)
} finally {
  store.destroy()
  cleanupAll()
}

async function run() {
  const info = {
    ...machineInfo(),
    fusekit: capture('git', ['-C', repoRoot, 'describe', '--always', '--dirty']),
    ...s3Versions(),
    gateway: `${gateway.started.replace(/^s3 gateway: /, '')}`,
    command: `node bench/s3.mjs ${process.argv.slice(2).join(' ')}`,
  }
  console.log(headerLines(info).join('\n'))
  if (os.loadavg()[0] > 0.5) console.log(`warning: the machine is busy (load ${os.loadavg()[0].toFixed(2)}): figures will be noisy`)

  await store.createBucket()
  await prepareObjects()
  const mounted = await mountTargets(root, BUCKET, gateway.endpoint, settings.fusekitArgs)
  for (const target of mounted) await exec('mkdir', ['-p', target.work])
  const all = [...mounted, rawTarget]
  for (const target of all) console.log(`${target.name.padEnd(13)} ${target.commands.join('  &&  ')}`)
  // The fast listing only differs in listings: it runs that phase alone.
  const targetsOf = (phase) => all.filter((t) => t.name !== 'fusekit-fast' || phase.id === 'list')

  const samples = new Samples()
  for (const group of groups) {
    const targets = targetsOf(group.phases[0])
    console.log(`\n=== ${group.key}: ${settings.runs} run(s), median reported ===`)
    await runGroup(group, targets, settings.runs, samples)
    for (const phase of group.phases) console.log('\n' + phaseTable(phase, targets, samples).join('\n'))
  }

  const phases = groups.flatMap((g) => g.phases)
  console.log('\nsummary (speeds: higher is better; a ratio above 1 means fusekit is faster):\n')
  console.log(summaryTable(phases, targetsOf, samples).join('\n'))
  const file = flags.out ?? join(repoRoot, 'bench/results', `s3-${info.date.replace(/[:.]/g, '-')}.json`)
  mkdirSync(join(file, '..'), { recursive: true })
  writeFileSync(file, JSON.stringify({ info, settings, targets: all.map(({ name, commands }) => ({ name, commands })), phases, samples }, null, 2) + '\n')
  console.log(`\nresults written to ${file}`)
}

/** What the listing and random phases read: put with the SDK once, the same for every target. */
/** How many keys the bucket holds under `prefix` but its directory marker (a LIST; the unlink phase waits for none). */
async function keysUnder(prefix) {
  let count = 0
  for await (const page of store.list(prefix)) count += page.objects.filter((o) => o.key !== prefix).length
  return count
}

async function prepareObjects() {
  const needs = (key) => groups.some((g) => g.key === key)
  if (needs('list')) {
    process.stderr.write(`  putting ${settings.list} objects with s3fs headers under list/...\n`)
    const mtime = String(Math.floor(Date.now() / 1000))
    await store.put('list/', Buffer.alloc(0), { metadata: { mode: '16877', uid: '0', gid: '0', mtime }, contentType: 'application/x-directory' })
    const keys = Array.from({ length: settings.list }, (_, i) => `list/entry-${String(i).padStart(6, '0')}`)
    let next = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < keys.length) await store.put(keys[next++], Buffer.from('listed\n'), { metadata: { mode: '33188', uid: '0', gid: '0', mtime } })
      }),
    )
  }
  if (needs('random')) {
    process.stderr.write(`  putting random.bin (${settings.randomMiB} MiB of random bytes)...\n`)
    const { randomBytes } = await import('node:crypto')
    await store.upload('random.bin', randomBytes(settings.randomMiB * 1024 * 1024), { metadata: { mode: '33188', uid: '0', gid: '0' } })
    if (settings.randomLargeMiB > 0) {
      process.stderr.write(`  putting random-large.bin (${settings.randomLargeMiB} MiB of random bytes)...\n`)
      await store.upload('random-large.bin', randomBytes(settings.randomLargeMiB * 1024 * 1024), { metadata: { mode: '33188', uid: '0', gid: '0' } })
    }
  }
}

function preflight() {
  const problems = []
  if (process.getuid?.() !== 0) problems.push('run as root: the bench drops caches and mounts')
  const missing = ['fusermount', 's3fs', 'rclone', 'fio', 'radosgw'].filter((t) => !commandExists(t))
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}: apt-get install -y fuse s3fs rclone fio, and scripts/s3/install.sh for the gateway`)
  const unbuilt = ['packages/core', 'packages/backend-s3'].filter((p) => !existsSync(join(repoRoot, p, 'dist/index.js')))
  if (unbuilt.length > 0 || !existsSync(cliBin)) problems.push(`build first (pnpm build): no dist in ${unbuilt.join(', ') || 'packages/cli'}`)
  if (problems.length > 0) fail(problems.map((p) => `bench: ${p}`).join('\n'), 1)
}




