import { defineConfig, mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(shared, defineConfig({
  // npm installs from the registry: minutes on a slow network rather than seconds.
  test: { include: ['test/**/*.test.ts'], hookTimeout: 600_000 },
}))
