import { cpSync, mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { contractCases, posixCases, skipReason, type Capability } from '@fusekit/testkit'
import type { JsonTestResults } from 'vitest/node'
import { beforeAll, describe, expect, it } from 'vitest'
import { e2e } from './e2e-context.js'
import { capabilities } from './fixtures/archive-suite/capabilities.js'
import { allTarballs, installProject, userEnv } from './installs.js'
import { run, type RunResult } from './run.js'
import { sampleArchive } from './sample-archive.js'
import { failures, readReport, reportedTests } from './vitest-report.js'

// The kit's suite for the example backend, as a backend's author runs it: a project installs the
// packed packages and the kit's peers (@fusekit/cli among them, vitest from the registry), and
// its own vitest runs a test file calling describeBackend (test/fixtures/archive-suite).

const FIXTURE = fileURLToPath(new URL('fixtures/archive-suite', import.meta.url))
const testkit = e2e.packed.find((pkg) => pkg.name === '@fusekit/testkit')!

let result: RunResult
let report: JsonTestResults

beforeAll(async () => {
  const vitest = `vitest@${testkit.manifest.peerDependencies!.vitest}`
  const [project, archive] = await Promise.all([
    installProject(mkdtempSync(join(e2e.work, 'archive-suite-')), [...allTarballs(), vitest], { manifest: { type: 'module' } }),
    sampleArchive(),
  ])
  cpSync(FIXTURE, join(project.cwd, 'test'), { recursive: true })
  const reportPath = join(project.cwd, 'report.json')
  // The kit's mounts and shell tools take seconds: vitest's 5 s default is for unit tests.
  const args = ['run', '--reporter=json', `--outputFile=${reportPath}`, '--testTimeout=120000', '--hookTimeout=120000']
  result = await run(join(project.bin, 'vitest'), args, { cwd: project.cwd, env: { ...userEnv(project), SAMPLE_ARCHIVE: archive }, timeoutMs: 480_000 })
  report = readReport(reportPath)
})

/** The cases of a table the example's capabilities call for, by name. */
function casesFor(table: readonly { name: string; needs?: readonly Capability[]; unless?: readonly Capability[] }[]): string[] {
  const have = new Set(capabilities)
  return table.filter((testCase) => skipReason(testCase, have) === undefined).map((testCase) => testCase.name).sort()
}

describe('the kit\'s suite for the example, in a project that installed the tarballs', () => {
  it('passes: every case its capabilities call for ran and passed, in process and through a real mount', () => {
    expect(result.code, `${failures(report)}\n${result.stderr.slice(-4000)}`).toBe(0)
    const tests = reportedTests(report)
    expect(tests.filter((test) => test.status !== 'passed')).toEqual([])
    const passedIn = (block: string) => tests.filter((test) => test.block === block).map((test) => test.title).sort()
    expect(passedIn('in process')).toEqual(casesFor(contractCases))
    expect(passedIn('through a real mount')).toEqual(casesFor(posixCases))
  })
})
