// Tables of the S3 bench: per phase, each target's median speed with its time, CPU seconds and
// peak RSS; the ratios fusekit ÷ each peer and ÷ the raw SDK; and the issue's targets checked.
// Speeds throughout: a ratio above 1 means fusekit is faster.
import { median } from './system.mjs'

const PEERS = ['s3fs', 'rclone']
const RAW = 'raw SDK'

/** Medians of a target's runs in a phase, or undefined when it has none. */
function medians(samples, phaseId, target) {
  const s = samples.get(phaseId, target)
  if (s.value === undefined) return { errors: s.errors }
  const of = (key) => median(s.runs.map((r) => r[key]))
  return { value: s.value, ms: s.ms, cpu: of('cpu'), rss: of('rss'), runs: s.runs }
}

/** The fusekit targets of a phase: the exact mount, and in the listing phase the fast one too. */
function subjects(phase, targets) {
  return targets.filter((t) => t.name.startsWith('fusekit') && (t.name === 'fusekit' || phase.id === 'list')).map((t) => t.name)
}

function format(value, unit) {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return `${value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}${unit ? ` ${unit}` : ''}`
}

const seconds = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(2)} s`)
const ratioText = (r) => (r === undefined ? 'n/a' : `${r.toFixed(2)}×`)

function ratio(samples, phaseId, a, b) {
  const x = samples.get(phaseId, a).value
  const y = samples.get(phaseId, b).value
  return x === undefined || y === undefined || y === 0 ? undefined : x / y
}

/** The checks of the issue's targets for one phase, as lines "✓ …" or "✗ … missed by N %". */
export function targetChecks(phase, targets, samples) {
  const checks = []
  const check = (label, value, goal) => {
    if (value === undefined) return checks.push(`? ${label}: no ratio`)
    const met = value >= goal
    checks.push(`${met ? '✓' : '✗'} ${label}: ${ratioText(value)} (target ≥ ${goal.toFixed(2)}×${met ? '' : `, missed by ${((1 - value / goal) * 100).toFixed(0)} %`})`)
  }
  const names = new Set(targets.map((t) => t.name))
  // Ahead of both peers: the default mount (exact listing) on every phase.
  for (const peer of PEERS.filter((p) => names.has(p))) check(`fusekit ÷ ${peer}`, ratio(samples, phase.id, 'fusekit', peer), 1)
  if (phase.ceiling !== undefined) check(`${phase.ceilingFor ?? 'fusekit'} ÷ ${RAW}`, ratio(samples, phase.id, phase.ceilingFor ?? 'fusekit', RAW), phase.ceiling)
  return checks
}

/** The table printed as soon as a phase has all its runs. */
export function phaseTable(phase, targets, samples) {
  const lines = [phase.title]
  for (const { name } of targets) {
    const m = medians(samples, phase.id, name)
    if (m.value === undefined) {
      lines.push(`  ${name.padEnd(13)} failed: ${m.errors[0] ?? 'no result'}`)
      continue
    }
    const runs = m.runs.map((r) => format(r.value, '')).join(' ')
    lines.push(`  ${name.padEnd(13)} ${format(m.value, phase.unit).padStart(16)}  ${seconds(m.ms).padStart(8)}  CPU ${m.cpu.toFixed(2)} s  RSS ${m.rss.toFixed(0)} MiB   runs: ${runs}`)
  }
  for (const subject of subjects(phase, targets)) {
    const others = targets.filter((t) => !t.name.startsWith('fusekit')).map((t) => `${subject} ÷ ${t.name} ${ratioText(ratio(samples, phase.id, subject, t.name))}`)
    lines.push(`  ${others.join('   ')}`)
  }
  lines.push(...targetChecks(phase, targets, samples).map((c) => `  ${c}`))
  return lines
}

/** Every phase as one Markdown table, for docs/benchmarks.md. */
export function summaryTable(phases, targetsOf, samples) {
  const header = ['phase', 'fusekit', 's3fs', 'rclone', 'raw SDK', 'fusekit ÷ s3fs', 'fusekit ÷ rclone', 'fusekit ÷ raw']
  const rows = []
  for (const phase of phases) {
    const targets = targetsOf(phase)
    for (const subject of subjects(phase, targets)) {
      const cell = (name) => {
        const m = medians(samples, phase.id, name)
        return m.value === undefined ? 'failed' : `${format(m.value, phase.unit)} (CPU ${m.cpu.toFixed(1)} s, ${m.rss.toFixed(0)} MiB)`
      }
      const title = subject === 'fusekit' ? phase.title : `${phase.title}, fast list mode`
      rows.push([title, cell(subject), cell('s3fs'), cell('rclone'), cell(RAW), ...['s3fs', 'rclone', RAW].map((p) => ratioText(ratio(samples, phase.id, subject, p)))])
    }
  }
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)]
}
