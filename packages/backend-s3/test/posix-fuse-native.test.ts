import { describeBackend } from '@fusekit/testkit'
import { s3Backend } from '../src/index.js'
import { s3Capabilities } from './s3-capabilities.js'
import { freshBucket, s3Target } from './s3-target.js'

// What libfuse 2 cannot carry (nanoseconds, the caller, unlinked open files) describeBackend leaves out.
describeBackend(s3Backend, {
  capabilities: s3Capabilities,
  options: async () => ({ bucket: (await freshBucket()).bucket, endpoint: s3Target.endpoint }),
  driver: 'fuse-native',
  unsupported: 'omit',
  title: 's3 (fuse-native driver)',
})
