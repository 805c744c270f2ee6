import { forEachConcurrently } from './bounded-pool.js'
import type { CallOptions } from './call-runner.js'

/** The calls a multipart upload needs (S3ObjectStore has them). */
export interface MultipartCalls {
  createMultipartUpload(key: string, options: ObjectWriteOptions): Promise<string>
  completeMultipartUpload(key: string, uploadId: string, etags: string[], options?: CallOptions): Promise<void>
  abortMultipartUpload(key: string, uploadId: string, options?: CallOptions): Promise<void>
}

export interface ObjectWriteOptions extends CallOptions {
  /** User metadata, without the `x-amz-meta-` prefix (the SDK adds it). */
  metadata?: Record<string, string>
  contentType?: string
}

/** One part's upload: returns the part's ETag. `partNumber` counts from 1, as S3 does. */
export type PartUploader = (partNumber: number, uploadId: string) => Promise<string>

/**
 * Uploads `partCount` parts with up to `concurrency` in flight, then completes the upload; on any
 * failure the other parts stop being started, the upload is aborted (no orphan parts kept, and
 * billed, by the server) and the first error is thrown. The completion's ETag is not returned:
 * RGW answers it empty; HEAD the object for the real one.
 */
export async function runMultipartUpload(
  calls: MultipartCalls,
  key: string,
  partCount: number,
  uploadPart: PartUploader,
  options: ObjectWriteOptions & { concurrency: number },
): Promise<void> {
  const uploadId = await calls.createMultipartUpload(key, options)
  const etags: string[] = new Array<string>(partCount)
  const parts = Array.from({ length: partCount }, (_, index) => index)
  try {
    await forEachConcurrently(parts, options.concurrency, async (index) => {
      etags[index] = await uploadPart(index + 1, uploadId)
    })
    await calls.completeMultipartUpload(key, uploadId, etags, options)
  } catch (error) {
    // Without the caller's signal: an interrupted upload must still be cleaned up.
    await calls.abortMultipartUpload(key, uploadId, { timeoutMs: options.timeoutMs }).catch(() => undefined)
    throw error
  }
}
