import { randomBytes } from 'node:crypto'
import { afterAll, inject } from 'vitest'
import { S3ObjectStore, type S3ObjectStoreOptions } from '../src/object-store.js'

/** The endpoint of the run (test/global-setup.ts). */
export interface S3TestTarget {
  endpoint: string
  accessKeyId: string
  secretAccessKey: string
  region: string
  /** Whether it is the throw-away gateway of this run (false: one given in the environment). */
  gateway: boolean
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: S3TestTarget
  }
}

export const s3Target: S3TestTarget = inject('s3')

// The store takes credentials from the SDK's default chain only: hand it this run's through the
// environment of this worker, as a user would.
process.env.AWS_ACCESS_KEY_ID = s3Target.accessKeyId
process.env.AWS_SECRET_ACCESS_KEY = s3Target.secretAccessKey
process.env.AWS_REGION = s3Target.region
delete process.env.AWS_PROFILE
delete process.env.AWS_SESSION_TOKEN

const madeBuckets: S3ObjectStore[] = []

/**
 * A store over a new, empty bucket on the run's endpoint; emptied and removed after the test
 * file. `options` override the store's settings (part size, deadlines, ...).
 */
export async function freshBucket(options: Partial<S3ObjectStoreOptions> = {}): Promise<S3ObjectStore> {
  const store = storeFor(`fusekit-test-${randomBytes(6).toString('hex')}`, options)
  await store.createBucket()
  madeBuckets.push(store)
  return store
}

/** A store over an existing bucket of the run's endpoint (a second view, other settings). */
export function storeFor(bucket: string, options: Partial<S3ObjectStoreOptions> = {}): S3ObjectStore {
  return new S3ObjectStore({ endpoint: s3Target.endpoint, bucket, ...options })
}

async function removeBucket(store: S3ObjectStore): Promise<void> {
  const cleaner = storeFor(store.bucket)
  try {
    for await (const page of cleaner.list('')) {
      if (page.objects.length > 0) await cleaner.deleteMany(page.objects.map((o) => o.key))
    }
    await cleaner.deleteBucket()
  } finally {
    cleaner.destroy()
    store.destroy()
  }
}

afterAll(async () => {
  await Promise.all(madeBuckets.splice(0).map(removeBucket))
})
