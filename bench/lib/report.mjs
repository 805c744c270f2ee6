// Turning samples into tables. Every figure is a speed (higher is better), so a ratio above 1
// means the subject is faster than the reference. Medians over the repetitions throughout.
import { median } from './system.mjs'

const TARGETS = { seq: 1.0, meta: 0.7 }
const KIND = { seq: 'sequential throughput', meta: 'metadata', rand: 'random I/O' }

/** Samples per phase and target: speeds, times (or latencies) and failures. */
export class Samples {
  #data = new Map()

  record(phaseId, target, value, ms, extra) {
    this.#entry(phaseId, target).runs.push({ value, ms, ...extra })
  }

  fail(phaseId, target, error) {
    this.#entry(phaseId, target).errors.push(error.message.split('\n')[0])
  }

  get(phaseId, target) {
    const entry = this.#data.get(phaseId)?.get(target)
    if (!entry || entry.runs.length === 0) return { errors: entry?.errors ?? [] }
    const pick = (key) => median(entry.runs.map((r) => r[key]))
    return {
      value: pick('value'),
      ms: pick('ms'),
      p99us: entry.runs[0].p99us === undefined ? undefined : pick('p99us'),
      runs: entry.runs,
      errors: entry.errors,
    }
  }

  toJSON() {
    return Object.fromEntries([...this.#data].map(([id, byTarget]) => [id, Object.fromEntries(byTarget)]))
  }

  #entry(phaseId, target) {
    if (!this.#data.has(phaseId)) this.#data.set(phaseId, new Map())
    const byTarget = this.#data.get(phaseId)
    if (!byTarget.has(target)) byTarget.set(target, { runs: [], errors: [] })
    return byTarget.get(target)
  }
}

export function headerLines(info) {
  const width = Math.max(...Object.keys(info).map((k) => k.length))
  return Object.entries(info).map(([key, value]) => `${key.padEnd(width)}  ${value}`)
}

/** The table printed as soon as a phase has all its repetitions. */
export function phaseLines(suite, phase, targets, samples) {
  const target = TARGETS[phase.kind]
  const goal = target === undefined ? 'no target' : `target: ${suite.subject} ≥ ${target.toFixed(1)}× ${suite.references[0]}`
  const lines = [`${phase.title}   [${KIND[phase.kind]}; ${goal}]`]
  for (const { name } of targets) {
    const s = samples.get(phase.id, name)
    if (s.value === undefined) {
      lines.push(`  ${name.padEnd(12)} failed: ${s.errors[0] ?? 'no result'}`)
      continue
    }
    const runs = s.runs.map((r) => (phase.kind === 'rand' ? formatSpeed(r.value, '') : formatSeconds(r.ms))).join(' ')
    lines.push(`  ${name.padEnd(12)} ${formatSpeed(s.value, phase.unit).padStart(16)}  ${detail(phase, s).padEnd(24)} runs: ${runs}`)
  }
  const ratios = suite.references.map((ref) => `${suite.subject} ÷ ${ref} ${formatRatio(ratio(samples, phase, suite.subject, ref))}`)
  const verdict = target === undefined ? '' : `  (${verdictOf(ratio(samples, phase, suite.subject, suite.references[0]), target)})`
  lines.push(`  ${ratios.join('   ')}${verdict}`)
  return lines
}

/** The whole suite as one Markdown table, for the terminal and for docs/benchmarks.md. */
export function summaryMarkdown(suite, phases, targets, samples) {
  const [first, ...others] = suite.references
  const header = ['phase', ...targets.map((t) => t.name), `${suite.subject} ÷ ${first}`, 'target', ...others.map((r) => `${suite.subject} ÷ ${r}`)]
  const rows = phases.map((phase) => {
    const cells = targets.map(({ name }) => {
      const s = samples.get(phase.id, name)
      return s.value === undefined ? 'failed' : `${formatSpeed(s.value, phase.unit)} (${detail(phase, s)})`
    })
    const target = TARGETS[phase.kind]
    const main = ratio(samples, phase, suite.subject, first)
    const goal = target === undefined ? '—' : `≥ ${target.toFixed(1)}× ${main === undefined ? '' : main >= target ? '✓' : '✗ missed'}`
    return [phase.title, ...cells, formatRatio(main), goal, ...others.map((r) => formatRatio(ratio(samples, phase, suite.subject, r)))]
  })
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)]
}

function ratio(samples, phase, subject, reference) {
  const a = samples.get(phase.id, subject).value
  const b = samples.get(phase.id, reference).value
  return a === undefined || b === undefined || b === 0 ? undefined : a / b
}

function verdictOf(value, target) {
  if (value === undefined) return 'no ratio'
  return value >= target ? `target met` : `target MISSED by ${((1 - value / target) * 100).toFixed(0)}%`
}

function detail(phase, s) {
  if (phase.kind !== 'rand') return formatSeconds(s.ms)
  return `mean ${Math.round(s.ms * 1000)} µs, p99 ${Math.round(s.p99us)} µs`
}

function formatSpeed(value, unit) {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  return unit ? `${text} ${unit}` : text
}

function formatSeconds(ms) {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(3)} s`
}

function formatRatio(value) {
  return value === undefined ? 'n/a' : `${value.toFixed(2)}×`
}
