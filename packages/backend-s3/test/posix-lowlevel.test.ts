import { describeBackend } from '@fusekit/testkit'
import { s3Backend } from '../src/index.js'
import { s3Capabilities } from './s3-capabilities.js'
import { freshBucket, s3Target } from './s3-target.js'

// The POSIX case table through a real mount of a fresh bucket, credentials in the environment.
describeBackend(s3Backend, {
  capabilities: s3Capabilities,
  options: async () => ({ bucket: (await freshBucket()).bucket, endpoint: s3Target.endpoint }),
  unsupported: 'omit',
  title: 's3 (lowlevel driver)',
})
