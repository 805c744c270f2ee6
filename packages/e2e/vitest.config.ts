import { defineConfig, mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(shared, defineConfig({
  test: {
    // test/fixtures holds a test file for an installed project, not for this run.
    include: ['test/*.test.ts'],
    globalSetup: ['test/pack-setup.ts'],
    // npm installs from the registry: minutes on a slow network rather than seconds.
    hookTimeout: 600_000,
    // Every file at once: each spends most of its time waiting on npm and on child processes.
    maxWorkers: 8,
  },
}))
