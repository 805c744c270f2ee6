import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'
import { parseByteSize } from './byte-size.js'
import { DEFAULT_LISTING_TTL_MS, DEFAULT_MAX_ENTRIES, DEFAULT_NEGATIVE_TTL_MS, DEFAULT_STAT_TTL_MS } from './metadata-cache.js'

const MiB = 2 ** 20

/** A size in bytes: a number, or a string with a binary suffix; at least `min`. */
function byteSize(min: number) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    try {
      const bytes = parseByteSize(value)
      if (bytes >= min) return bytes
      ctx.addIssue({ code: 'custom', message: `at least ${min} bytes`, input: value })
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message, input: value })
    }
    return z.NEVER
  })
}

/** Where dirty data is staged by default: the temporary directory, one per user. */
export const defaultCacheDir = join(tmpdir(), `fusekit-s3-${process.getuid?.() ?? 0}`)

export const s3Options = z.strictObject({
  bucket: z.string().min(1).describe('Bucket to mount'),
  prefix: z.string().optional().describe('Folder of the bucket to mount ("team/data"): its keys are the mount\'s paths, others are not seen (default: the whole bucket)'),
  region: z.string().min(1).optional().describe('Region (default: AWS_REGION, the profile\'s, or us-east-1 with --endpoint)'),
  endpoint: z.url().optional().describe('Endpoint of an S3-compatible server (Ceph RGW, MinIO): http://127.0.0.1:7480 (default: AWS)'),
  pathStyle: z.boolean().optional().describe('Bucket in the URL path rather than the host name (default: on with --endpoint, off for AWS)'),
  profile: z.string().min(1).optional().describe('Profile of the shared AWS config and credentials files (default: AWS_PROFILE, else "default"); credentials never come from arguments'),
  cacheDir: z.string().min(1).default(defaultCacheDir).describe('Where data written and not yet uploaded is staged, and random readers\' pieces are kept (made 0700; emptied at unmount)'),
  maxDirty: byteSize(MiB).prefault('1G').describe('Most bytes staged on local disk at once (1G, 512M): past it, writers wait for uploads'),
  partSize: byteSize(5 * MiB).prefault('8M').describe('Part size of multipart uploads; a file this large or larger is uploaded in parallel parts'),
  uploadConcurrency: z.int().min(1).max(64).default(4).describe('Parts of one file uploaded at once'),
  readMemory: byteSize(MiB).prefault('128M').describe('Memory for read-ahead, shared by all open files'),
  readDisk: byteSize(0).prefault('1G').describe('Local disk (in --cache-dir) for what random readers fetched once it leaves --read-memory, so that it is read again without a GET (0: none)'),
  listMode: z
    .enum(['exact', 'fast'])
    .default('exact')
    .describe('exact: attributes from each object\'s metadata (HEAD requests, in parallel); fast: from the listing alone (size, LastModified; 0644/0755, the mounting user)'),
  headConcurrency: z.int().min(1).max(256).default(32).describe('HEAD requests in flight at once when stat-ing the entries of a listed directory'),
  statTtl: z.number().min(0).default(DEFAULT_STAT_TTL_MS / 1000).describe('Seconds attributes are cached (the default of --attr-timeout and --entry-timeout too)'),
  listTtl: z.number().min(0).default(DEFAULT_LISTING_TTL_MS / 1000).describe('Seconds a directory listing is cached'),
  negativeTtl: z.number().min(0).default(DEFAULT_NEGATIVE_TTL_MS / 1000).describe('Seconds "no such file" is cached (the default of --negative-timeout too)'),
  cacheEntries: z.int().min(1).default(DEFAULT_MAX_ENTRIES).describe('Paths cached at most, about 180 bytes each (100000: ~18 MB)'),
  timeout: z.number().positive().default(30).describe('Seconds one S3 call may take, retries included: past it the operation fails (EIO, ETIMEDOUT)'),
})

/** The S3 backend's options, after validation. */
export type S3Options = z.output<typeof s3Options>
