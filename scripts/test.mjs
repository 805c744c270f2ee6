#!/usr/bin/env node
// `pnpm test`: runs every workspace package's tests through turbo, then adds up the JSON
// reports that vitest.shared.ts makes each package write (into FUSEKIT_TEST_RESULTS), and ends
// with one line: "N passed, N failed".
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const resultsDir = join(root, '.test-results')

rmSync(resultsDir, { recursive: true, force: true })

// One package at a time: several FUSE-heavy suites at once on a small machine only slow each
// other down, and a failure is easier to read when the output is not interleaved.
const turbo = spawnSync(
  join(root, 'node_modules', '.bin', 'turbo'),
  // Loose env mode: tests see the whole environment, including where to write their reports.
  ['run', 'test', '--concurrency=1', '--continue', '--ui=stream', '--env-mode=loose'],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', FUSEKIT_TEST_RESULTS: resultsDir } },
)
if (turbo.error) console.error(`could not run turbo: ${turbo.error.message}`)

let passed = 0
let failed = 0
const problems = []

for (const pkg of packagesWithTests()) {
  const reportPath = join(resultsDir, `${pkg.name.replace(/^@/, '').replace(/\//g, '-')}.json`)
  if (!existsSync(reportPath)) {
    failed += 1
    problems.push(`${pkg.name}: its test run wrote no report (${relative(root, reportPath)}): it crashed, or its build failed`)
    continue
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8'))
  for (const file of report.testResults) {
    const name = relative(root, file.name)
    const counts = { passed: 0, failed: 0 }
    for (const test of file.assertionResults) {
      if (test.status === 'passed') counts.passed += 1
      else {
        // Skipped tests are not allowed here; tests left unrun by a failed beforeAll count as failed too.
        counts.failed += 1
        if (test.status !== 'failed') problems.push(`${name}: "${test.fullName}" did not run (${test.status})`)
        // Named here, at the end of the log, which is the part of a long CI log that gets read.
        else problems.push(`${name}: "${test.fullName}" failed: ${firstLine(test.failureMessages?.[0])}`)
      }
    }
    // A file can fail with no failed test: it did not load, or a hook failed after its tests.
    if (file.status === 'failed' && counts.failed === 0) {
      counts.failed = 1
      problems.push(`${name}: ${file.message || 'failed outside any test (in a hook)'}`)
    }
    passed += counts.passed
    failed += counts.failed
  }
  if (report.testResults.length === 0) {
    failed += 1
    problems.push(`${pkg.name}: no test files ran`)
  }
}

if (turbo.status !== 0 && failed === 0) {
  failed += 1
  problems.push(`turbo run test exited with ${turbo.status ?? turbo.signal}`)
}

console.log('')
for (const problem of problems) console.log(`  ${problem}`)
console.log(`${passed} passed, ${failed} failed`)
process.exitCode = failed > 0 || turbo.status !== 0 ? 1 : 0

/** The first line of a failure message, without colour codes, cut to a readable length. */
function firstLine(message = '') {
  const line = message.replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((text) => text.trim() !== '') ?? '(no message)'
  return line.length > 300 ? `${line.slice(0, 300)}...` : line.trim()
}

/** Every workspace package with a test script: the `dir/*` globs of pnpm-workspace.yaml. */
function packagesWithTests() {
  return workspaceGlobs()
    .flatMap((glob) => {
      if (!glob.endsWith('/*')) throw new Error(`scripts/test.mjs reads only dir/* globs from pnpm-workspace.yaml, not "${glob}"`)
      const dir = join(root, glob.slice(0, -2))
      return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name, 'package.json')) : []
    })
    .filter((manifest) => existsSync(manifest))
    .map((manifest) => JSON.parse(readFileSync(manifest, 'utf8')))
    .filter((pkg) => pkg.scripts?.test)
}

/** The entries of the `packages:` list in pnpm-workspace.yaml. */
function workspaceGlobs() {
  const lines = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')
  const start = lines.findIndex((line) => /^packages:\s*$/.test(line))
  const globs = []
  for (const line of lines.slice(start + 1)) {
    const item = /^\s+-\s+['"]?([^'"#]+?)['"]?\s*$/.exec(line)
    if (!item) break
    globs.push(item[1])
  }
  return globs
}
