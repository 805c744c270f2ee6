import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Each package's `vitest run` starts in the package directory; its JSON report is named after it,
// so scripts/test.mjs can add up every package's results.
const repoRoot = fileURLToPath(new URL('.', import.meta.url))
const packageName = (JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string }).name
const reportName = packageName.replace(/^@/, '').replace(/\//g, '-')

/** The base every package's vitest.config.ts merges: summary reporting and FUSE-sized timeouts. */
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: join(repoRoot, '.test-results', `${reportName}.json`) }]],
    // Mounting, and shell tools over a mount, take seconds rather than milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
})
