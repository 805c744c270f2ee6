import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// scripts/test.mjs (`pnpm test`) asks for a JSON report per package in this directory and adds
// them up. Runs started by hand write none, so they never overwrite the reports of a full run.
const resultsDir = process.env.FUSEKIT_TEST_RESULTS

// `vitest run` starts in the package directory: the report is named after the package.
function reportPath(dir: string): string {
  const { name } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string }
  return join(dir, `${name.replace(/^@/, '').replace(/\//g, '-')}.json`)
}

/** The base every package's vitest.config.ts merges: summary reporting and FUSE-sized timeouts. */
export default defineConfig({
  test: {
    reporters: resultsDir ? ['default', ['json', { outputFile: reportPath(resultsDir) }]] : ['default'],
    // Mounting, and shell tools over a mount, take seconds rather than milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Files wait on mounts, child processes and the kernel much of their time: two at once even
    // on a two-vCPU machine (vitest's default there is one), about 40% less time per package.
    maxWorkers: 2,
  },
})
