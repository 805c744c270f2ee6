import { describeBackend } from '@fusekit/testkit'
import { s3Capabilities } from './s3-mounts.js'
import { freshBucket, s3Target } from './s3-target.js'

describeBackend('s3', {
  options: async () => ({ bucket: (await freshBucket()).bucket, endpoint: s3Target.endpoint }),
  capabilities: s3Capabilities,
  driver: 'fuse-native',
  unsupported: 'omit',
  title: 's3 on the fuse-native driver',
})
