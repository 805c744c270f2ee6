import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

// The workspace's reporting (pnpm test adds up every package's report) and FUSE-sized timeouts.
export default mergeConfig(shared, {})
