import { readFileSync } from 'node:fs'
import type { JsonTestResults } from 'vitest/node'

/** A test of a vitest JSON report: its top-level block, its title, how it ended. */
export interface ReportedTest {
  block: string
  title: string
  status: string
}

/** vitest's JSON report (`--reporter=json --outputFile=<path>`). */
export function readReport(path: string): JsonTestResults {
  return JSON.parse(readFileSync(path, 'utf8')) as JsonTestResults
}

export function reportedTests(report: JsonTestResults): ReportedTest[] {
  return report.testResults.flatMap((file) => file.assertionResults.map((test) => ({ block: test.ancestorTitles[0] ?? '', title: test.title, status: test.status })))
}

/** What failed, for an assertion's message: files that did not load, failed tests with their messages. */
export function failures(report: JsonTestResults): string {
  return report.testResults
    .flatMap((file) => [
      ...(file.status === 'failed' && file.message ? [`${file.name}: ${file.message}`] : []),
      ...file.assertionResults.filter((test) => test.status === 'failed').map((test) => `${test.fullName}: ${(test.failureMessages ?? []).join('\n')}`),
    ])
    .join('\n')
}
