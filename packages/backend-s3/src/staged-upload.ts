import { runMultipartUpload } from './multipart-upload.js'
import type { S3ObjectStore } from './object-store.js'
import type { StagedFile } from './staged-file.js'

/** Objects up to this size are sent from memory: one read of the staged file instead of a stream opened on it. */
const SMALL_OBJECT = 1024 * 1024

/** Makes bytes [start, end) of the staged file local (fetching what is still only in the object). */
export type FetchRange = (file: StagedFile, start: number, end: number, signal?: AbortSignal) => Promise<void>

/** What an upload put in S3: the object's size, and its ETag when S3 gave a usable one. */
export interface Uploaded {
  size: number
  etag?: string
}

/**
 * Writes a staged file to its key. Below the part size: one PUT streamed from the local file.
 * Above: a multipart upload in parallel parts; a part whose bytes are all the object's, untouched
 * (an append to a large file leaves most of them so), is copied by the server (UploadPartCopy)
 * instead of being downloaded and sent again; the others are completed from the object where
 * needed and streamed from the local file. A file written from its start completes the upload
 * begun while it was written (EagerUpload).
 */
export async function uploadStagedFile(store: S3ObjectStore, file: StagedFile, fetchRange: FetchRange, signal?: AbortSignal): Promise<Uploaded> {
  const { key, size } = file
  const write = { metadata: file.metadata, contentType: file.contentType, signal }
  const eager = file.eager
  if (eager) {
    file.eager = undefined
    // Parts whose bytes are only in it keep it for the next try (usable: WriteStaging completes it before the part size changes).
    if (eager.usable || file.onlyUploaded.size > 0) {
      try {
        const finished = await eager.finish((start, end) => fetchRange(file, start, end, signal), signal)
        if (finished.metadataStale) await store.copy(key, key, { ...write, size: finished.size })
        return { size: finished.size }
      } catch (error) {
        if (file.onlyUploaded.size > 0) file.eager = eager
        else eager.abort()
        throw error
      }
    }
    eager.abort()
  }
  if (size < store.partSize) {
    await fetchRange(file, 0, size, signal)
    // A file on disk small enough is read in one go rather than streamed; one in memory is sent as it is.
    return { size, etag: await store.put(key, file.path !== undefined && size <= SMALL_OBJECT ? await readWhole(file, size) : file.body(0, size), write) }
  }
  const partSize = store.partSizeFor(size)
  const partCount = Math.ceil(size / partSize)
  // The parts' plan is made now: a truncate during the upload fails the part that reads past
  // the end (the file stays dirty and is uploaded again).
  const baseKey = file.baseKey
  const baseEtag = file.baseEtag
  await runMultipartUpload(
    store,
    key,
    partCount,
    async (partNumber, uploadId) => {
      const start = (partNumber - 1) * partSize
      const end = Math.min(size, start + partSize)
      if (file.untouched(start, end)) {
        return store.uploadPartCopy(key, uploadId, partNumber, baseKey, start, end, { ifMatch: baseEtag, signal })
      }
      await fetchRange(file, start, end, signal)
      return store.uploadPart(key, uploadId, partNumber, file.body(start, end - start), { signal })
    },
    { ...write, concurrency: store.uploadConcurrency },
  )
  // CompleteMultipartUpload's ETag is not trustworthy (RGW sends it empty).
  return { size }
}

async function readWhole(file: StagedFile, size: number): Promise<Buffer> {
  const data = Buffer.allocUnsafe(size)
  const { bytesRead } = await file.local.read(data, 0, size, 0)
  return data.subarray(0, bytesRead)
}
