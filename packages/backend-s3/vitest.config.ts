import { mergeConfig } from 'vitest/config'
import shared from '../../vitest.shared.ts'

export default mergeConfig(shared, {
  test: {
    // One S3 endpoint for the run: a throw-away Ceph RADOS Gateway unless one is given.
    globalSetup: ['./test/global-setup.ts'],
    // The SDK warns once per process that its releases after January 2027 want Node 22.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
})
