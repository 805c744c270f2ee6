import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(shared, {
  test: {
    // One S3 endpoint for the run: a throw-away Ceph RADOS Gateway unless one is given.
    globalSetup: ['./test/global-setup.ts'],
    // The gateway script's own test and the outage test (a gateway of its own, whose radosgw it
    // kills) need Ceph, which a run given another endpoint may not have.
    exclude: process.env.FUSEKIT_TEST_S3_ENDPOINT ? ['**/node_modules/**', 'test/gateway-script.test.ts', 'test/mount-outage.test.ts'] : ['**/node_modules/**'],
    // The SDK warns once per process that its releases after January 2027 want Node 22.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // The POSIX suite's big cases (10,000 files, a tree of 10,000 entries) cost one S3 request
    // per file, one at a time as the tools make them: minutes on a one-node gateway.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Mounts spend their time waiting for the gateway, which serves several at once better than
    // one after the other: test files run side by side.
    maxWorkers: 3,
  },
})
