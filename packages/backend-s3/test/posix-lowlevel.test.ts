import { describePosixSuite } from '@fusekit/testkit'
import { bucketArgs } from './s3-mounts.js'
import { freshBucket } from './s3-target.js'

// What S3 cannot hold: hard links (one object per name) and extended attributes (not kept).
describePosixSuite('s3 on the lowlevel driver', {
  backend: 's3',
  args: async () => bucketArgs((await freshBucket()).bucket),
  capabilities: { hardlinks: false, xattr: false },
  timePrecision: 'nanosecond',
})
