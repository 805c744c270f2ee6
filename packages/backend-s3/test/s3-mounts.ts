import { startMount, type Capability, type MountProcess } from '@fusekit/testkit'
import { freshBucket, s3Target } from './s3-target.js'
import type { S3ObjectStore } from '../src/object-store.js'

/**
 * What the kit's POSIX cases may expect of a bucket, as the suite checked before: no hard links
 * (one object per name), no extended attributes (not kept), nothing as other users.
 */
export const s3Capabilities: Capability[] = ['writable', 'chown', 'symlinks', 'execute', 'subsecondTimes', 'nanosecondTimes']

/** The arguments that mount `bucket` from the run's endpoint (credentials travel in the environment). */
export function bucketArgs(bucket: string, endpoint = s3Target.endpoint): string[] {
  return ['--bucket', bucket, '--endpoint', endpoint]
}

/**
 * `fusekit mount s3` of a bucket in a child process, credentials passed in its environment only
 * (never on its command line). `args` come after the bucket and endpoint.
 */
export function mountBucket(bucket: string, args: string[] = [], endpoint = s3Target.endpoint): Promise<MountProcess> {
  return startMount({ backend: 's3', args: [...bucketArgs(bucket, endpoint), ...args], env: mountEnv() })
}

/** A new bucket (removed after the test file) mounted in a child process. */
export async function mountFreshBucket(args: string[] = []): Promise<{ store: S3ObjectStore; mount: MountProcess }> {
  const store = await freshBucket()
  return { store, mount: await mountBucket(store.bucket, args) }
}

/**
 * The test process's environment with the run's credentials, as a user would export them; without
 * the variable that keeps the SDK's Node-version notice out of the test output: a mount must keep
 * it out of its own (a refused mount prints one line).
 */
export function mountEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _testOnly, ...inherited } = process.env
  return {
    ...inherited,
    AWS_ACCESS_KEY_ID: s3Target.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3Target.secretAccessKey,
    AWS_REGION: s3Target.region,
    ...overrides,
  }
}
