import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { COMPILERS, CXX_COMPILERS, pathWithout } from './commands-path.js'
import type { E2eContext } from './e2e-context.js'
import { packAll } from './packed-packages.js'

/**
 * Packs every package once for all test files (vitest's globalSetup), in a temporary directory
 * they all work in, removed at the end.
 */
export default async function packOnce(project: TestProject): Promise<() => void> {
  const work = mkdtempSync(join(tmpdir(), 'fusekit-e2e-'))
  const context: E2eContext = {
    work,
    packed: await packAll(join(work, 'tarballs')),
    compilerFree: pathWithout(join(work, 'compiler-free-bin'), COMPILERS),
    withoutCxx: pathWithout(join(work, 'no-cxx-bin'), CXX_COMPILERS),
  }
  project.provide('e2e', context)
  return () => rmSync(work, { recursive: true, force: true })
}
