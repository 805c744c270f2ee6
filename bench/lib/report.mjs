// Turning samples into tables. Speeds are "higher is better", so a speed ratio above 1 means the
// subject is faster than the reference; CPU per operation is "lower is better". Medians over the
// repetitions throughout. The issue's targets, checked on every phase: the subject at least as
// fast as its first reference (bindfs), at no more CPU per operation, and, where the suite sets
// one, no more memory per empty file than its ceiling.
import { median } from './system.mjs'

const SPEED_TARGET = 1.0
const CPU_TARGET = 1.0

/** Samples per phase and target: speeds, times (or latencies), usage, and failures. */
export class Samples {
  #data = new Map()

  record(phaseId, target, value, ms, extra) {
    this.#entry(phaseId, target).runs.push({ value, ms, ...extra })
  }

  fail(phaseId, target, error) {
    this.#entry(phaseId, target).errors.push(error.message.split('\n')[0])
  }

  /** The median of every numeric field the runs share (value, ms, cpu, cpuPerOp, ...), with the runs. */
  get(phaseId, target) {
    const entry = this.#data.get(phaseId)?.get(target)
    if (!entry || entry.runs.length === 0) return { errors: entry?.errors ?? [] }
    const keys = Object.keys(entry.runs[0]).filter((key) => entry.runs.every((r) => typeof r[key] === 'number'))
    return { ...Object.fromEntries(keys.map((key) => [key, median(entry.runs.map((r) => r[key]))])), runs: entry.runs, errors: entry.errors }
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
  const lines = [phase.title]
  for (const { name } of targets) {
    const s = samples.get(phase.id, name)
    if (s.value === undefined) {
      lines.push(`  ${name.padEnd(12)} failed: ${s.errors[0] ?? 'no result'}`)
      continue
    }
    const runs = s.runs.map((r) => (phase.kind === 'rand' ? formatNumber(r.value) : formatSeconds(r.ms))).join(' ')
    lines.push(`  ${name.padEnd(12)} ${formatSpeed(s.value, phase.unit).padStart(16)}  ${detail(phase, s).padEnd(24)} ${usageText(phase, s).padEnd(52)} runs: ${runs}`)
  }
  lines.push(`  ${suite.references.map((ref) => `${suite.subject} ÷ ${ref} ${formatRatio(speedRatio(samples, phase, suite.subject, ref))}`).join('   ')}`)
  const [reference] = suite.references
  const speed = speedRatio(samples, phase, suite.subject, reference)
  lines.push(`  speed: ${suite.subject} ÷ ${reference} ${formatRatio(speed)}, target ≥ ${SPEED_TARGET.toFixed(1)}×: ${verdict(speed, SPEED_TARGET, 'higher')}`)
  const cpu = cpuRatio(samples, phase, suite.subject, reference)
  lines.push(`  CPU per ${phase.op}: ${suite.subject} ÷ ${reference} ${formatRatio(cpu)}, target ≤ ${CPU_TARGET.toFixed(1)}×: ${cpuVerdict(samples, phase, suite.subject, reference)}`)
  if (phase.perFile && suite.bytesPerFileTarget) {
    const bytes = samples.get(phase.id, suite.subject).bytesPerFile
    lines.push(`  memory per empty file: ${formatBytes(bytes)}, target ≤ ${suite.bytesPerFileTarget} B: ${verdict(bytes, suite.bytesPerFileTarget, 'lower')}`)
  }
  return lines
}

/**
 * The whole suite as Markdown, for the terminal and for docs/benchmarks.md: one row per phase
 * with every target's speed, time, serving-process CPU and peak RSS, the speed and CPU-per-op
 * ratios against the first reference with their verdicts, and the speed ratio against the others;
 * then, for the phases that create files, the serving process's memory per file.
 */
export function summaryMarkdown(suite, phases, targets, samples) {
  const [first, ...others] = suite.references
  const line = (cells) => `| ${cells.join(' | ')} |`
  const table = (header, rows) => [line(header), line(header.map(() => '---')), ...rows.map(line)]

  const speedHeader = [
    'phase',
    ...targets.map((t) => t.name),
    `${suite.subject} ÷ ${first} (≥ ${SPEED_TARGET.toFixed(1)}×)`,
    `CPU per op, ${suite.subject} / ${first} (≤ ${CPU_TARGET.toFixed(1)}×)`,
    ...others.map((r) => `${suite.subject} ÷ ${r}`),
  ]
  const speedRows = phases.map((phase) => {
    const cells = targets.map(({ name }) => {
      const s = samples.get(phase.id, name)
      if (s.value === undefined) return 'failed'
      const used = s.cpu === undefined ? '' : `; CPU ${s.cpu.toFixed(2)} s; ${Math.round(s.rss)} MiB`
      return `${formatSpeed(s.value, phase.unit)} (${detail(phase, s)}${used})`
    })
    const speed = speedRatio(samples, phase, suite.subject, first)
    const cpu = cpuRatio(samples, phase, suite.subject, first)
    const perOp = (name) => formatMicros(samples.get(phase.id, name).cpuPerOp).replace(' µs', '')
    return [
      phase.title,
      ...cells,
      `${formatRatio(speed)}, ${verdict(speed, SPEED_TARGET, 'higher')}`,
      `${perOp(suite.subject)} / ${perOp(first)} µs per ${phase.op}: ${formatRatio(cpu)}, ${cpuVerdict(samples, phase, suite.subject, first)}`,
      ...others.map((r) => formatRatio(speedRatio(samples, phase, suite.subject, r))),
    ]
  })
  const lines = table(speedHeader, speedRows)

  const perFile = phases.filter((p) => p.perFile)
  if (perFile.length === 0) return lines
  const served = targets.filter((t) => t.server)
  const goal = suite.bytesPerFileTarget ? `target ≤ ${suite.bytesPerFileTarget} B` : 'no target'
  const memoryHeader = ['phase', ...served.map((t) => `${t.name}: RSS growth per file`), `${suite.subject}: ${goal}`]
  const memoryRows = perFile.map((phase) => {
    const bytes = samples.get(phase.id, suite.subject).bytesPerFile
    const check = suite.bytesPerFileTarget ? verdict(bytes, suite.bytesPerFileTarget, 'lower') : '—'
    return [phase.title, ...served.map((t) => formatBytes(samples.get(phase.id, t.name).bytesPerFile)), check]
  })
  return [...lines, '', ...table(memoryHeader, memoryRows)]
}

function speedRatio(samples, phase, subject, reference) {
  return quotient(samples.get(phase.id, subject).value, samples.get(phase.id, reference).value)
}

/** CPU seconds in a phase below which neither side's use is judged. */
const NEGLIGIBLE_CPU = 0.005

function cpuRatio(samples, phase, subject, reference) {
  return quotient(samples.get(phase.id, subject).cpuPerOp, samples.get(phase.id, reference).cpuPerOp)
}

/** The CPU-per-op check: also decided when the reference used no measurable CPU (under one tick). */
function cpuVerdict(samples, phase, subject, reference) {
  const a = samples.get(phase.id, subject).cpuPerOp
  const b = samples.get(phase.id, reference).cpuPerOp
  if (a === undefined || b === undefined) return 'n/a'
  // A phase whose work is the kernel's (a re-read from the page cache) leaves either process a
  // millisecond or so: an open and a close, a timer, a GC step. Not judged as the phase's cost.
  if (samples.get(phase.id, subject).cpu < NEGLIGIBLE_CPU && samples.get(phase.id, reference).cpu < NEGLIGIBLE_CPU) return 'n/a (both under 5 ms)'
  if (b === 0) return a === 0 ? 'met' : `missed (${reference} used no measurable CPU)`
  return verdict(a / b, CPU_TARGET, 'lower')
}

function quotient(a, b) {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b
}

/** "met", or "missed by N%" (how far short of a floor, or how far over a ceiling). */
function verdict(value, goal, better) {
  if (value === undefined) return 'n/a'
  const miss = better === 'higher' ? 1 - value / goal : value / goal - 1
  // Met when it is not short by a whole percent: a ratio printed as the goal (1.00×) meets it.
  return Math.round(miss * 100) <= 0 ? 'met' : `missed by ${(miss * 100).toFixed(0)}%`
}

function usageText(phase, s) {
  if (s.cpu === undefined) return '(no serving process)'
  const growth = phase.perFile ? `, ${formatBytes(s.bytesPerFile)}/file` : ''
  return `CPU ${s.cpu.toFixed(2)} s, ${formatMicros(s.cpuPerOp)}/${phase.op}  RSS ${Math.round(s.rss)} MiB${growth}`
}

function detail(phase, s) {
  if (phase.kind !== 'rand') return formatSeconds(s.ms)
  return `mean ${Math.round(s.ms * 1000)} µs, p99 ${Math.round(s.p99us)} µs`
}

function formatNumber(value) {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

function formatSpeed(value, unit) {
  return `${formatNumber(value)} ${unit}`
}

function formatMicros(seconds) {
  return seconds === undefined ? '—' : `${formatNumber(seconds * 1e6)} µs`
}

function formatBytes(bytes) {
  return bytes === undefined ? '—' : `${Math.round(bytes).toLocaleString('en-US')} B`
}

function formatSeconds(ms) {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 1000).toFixed(3)} s`
}

function formatRatio(value) {
  return value === undefined ? 'n/a' : `${value.toFixed(2)}×`
}
