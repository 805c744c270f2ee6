import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(shared, {
  test: {
    // One S3 endpoint for the run: a throw-away Ceph RADOS Gateway unless one is given.
    globalSetup: ['./test/global-setup.ts'],
    // The gateway script's own test needs Ceph, which a run given another endpoint may not have.
    exclude: process.env.FUSEKIT_TEST_S3_ENDPOINT ? ['**/node_modules/**', 'test/gateway-script.test.ts'] : ['**/node_modules/**'],
    // The SDK warns once per process that its releases after January 2027 want Node 22.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
})
