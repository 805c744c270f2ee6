import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'

export interface S3ClientOptions {
  /** A custom endpoint (Ceph RGW, MinIO, s3rver): `http://127.0.0.1:8000`. Default: AWS. */
  endpoint?: string
  /** Default: the SDK's chain (AWS_REGION, the profile), else us-east-1 with a custom endpoint. */
  region?: string
  /** Bucket in the path rather than the host name; default on with a custom endpoint. */
  forcePathStyle?: boolean
  /** A shared config/credentials profile (~/.aws/config); default: AWS_PROFILE or "default". */
  profile?: string
  /**
   * Send and check payload checksums only where an operation requires them. Default on with a
   * custom endpoint: the SDK's default streams uploads aws-chunked with a checksum trailer,
   * which RGW 16 refuses (HTTP 411) and s3rver stores inside the object.
   */
  checksumsWhenRequired?: boolean
  /** Sockets kept per host; size it to the concurrency of uploads and read-ahead. */
  maxSockets: number
  connectTimeoutMs: number
  /** A connection silent for this long is dropped (and the attempt retried). */
  idleTimeoutMs: number
}

/**
 * An S3Client for the store. Credentials come from the SDK's default chain only (environment,
 * shared config and its profile, web identity, container and instance roles), never from
 * arguments. The SDK's own retries are off: the store retries within its own deadline.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  const custom = options.endpoint !== undefined
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets }
  const whenRequired = options.checksumsWhenRequired ?? custom
  // The SDK prints, once per process, eight lines saying that its releases after January 2027
  // need Node 22: news for whoever maintains the dependency (NOTES.md), not for someone mounting
  // a bucket on the Node 20 fusekit supports.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
  return new S3Client({
    ...(custom ? { endpoint: options.endpoint } : {}),
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (custom ? 'us-east-1' : undefined),
    forcePathStyle: options.forcePathStyle ?? custom,
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(whenRequired ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
    maxAttempts: 1,
    // The SDK prints to the console when it has no logger ("error in a non-retryable streaming
    // request" on every failed upload attempt, which we retry ourselves): failures reach the
    // caller as FsError values instead.
    logger: quietLogger,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: options.connectTimeoutMs,
      // No requestTimeout: the whole call's deadline is the store's (an AbortSignal per call);
      // a connection that goes silent is dropped sooner, and that attempt retried.
      socketTimeout: options.idleTimeoutMs,
    }),
  })
}

const ignore = () => undefined
const quietLogger = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore }
