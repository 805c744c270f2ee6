import { describePosixSuite } from '@fusekit/testkit'
import { bucketArgs } from './s3-mounts.js'
import { freshBucket } from './s3-target.js'

describePosixSuite('s3 on the fuse-native driver', {
  backend: 's3',
  args: async () => [...bucketArgs((await freshBucket()).bucket), '--driver', 'fuse-native'],
  capabilities: { hardlinks: false, xattr: false },
})
