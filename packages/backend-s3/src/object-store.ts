import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { runCall, type CallOptions, type CallPolicy } from './call-runner.js'
import { S3ConfigError } from './config-error.js'
import { DeferredDeletes } from './deferred-deletes.js'
import { fsErrorOf, httpStatusOf, s3CodeOf } from './errno-of.js'
import { runMultipartUpload, type ObjectWriteOptions } from './multipart-upload.js'
import type { UploadBody } from './request-body.js'
import { defaultRetryOptions, type RetryOptions } from './retry-policy.js'
import { createS3Client, type S3ClientOptions } from './s3-client.js'
import { S3Http, S3HttpError } from './s3-http.js'
import { parseListPage, xmlText } from './s3-xml.js'
import { StoreStats } from './store-stats.js'

export type { ObjectWriteOptions } from './multipart-upload.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
/** S3's limits on multipart uploads. */
const minPartSize = 5 * MiB
const maxParts = 10_000
const maxSinglePut = 5 * GiB

export interface S3ObjectStoreOptions extends Partial<Omit<S3ClientOptions, 'maxSockets'>> {
  bucket: string
  /** Deadline of one call, its retries included (default 30 s). */
  timeoutMs?: number
  retry?: Partial<RetryOptions>
  /** Part size of multipart uploads, and the size from which `upload` uses them (default 8 MiB). */
  partSize?: number
  /** Parts of one upload in flight at once (default 4). */
  uploadConcurrency?: number
  /** Sockets kept open to the server (default 32): uploads and read-ahead share them. */
  maxConnections?: number
  /** Objects larger than this are copied part by part (UploadPartCopy; default 5 GiB, S3's limit). */
  copyPartThreshold?: number
  /** Part size of such copies (default 512 MiB). */
  copyPartSize?: number
  /** A client made elsewhere (its settings are then the caller's business). */
  client?: S3Client
  /** Told of deferred deletions refused or failing (deleteSoon). */
  report?: (message: string) => void
}

export interface ObjectHead {
  key: string
  size: number
  lastModified: Date
  etag: string
  contentType: string | undefined
  /** User metadata, keys lowercase without `x-amz-meta-`. */
  metadata: Record<string, string>
}

export interface ListedObject {
  key: string
  size: number
  lastModified: Date
  etag: string
}

export interface ListPage {
  objects: ListedObject[]
  /** Common prefixes ("dir/") when listing with a delimiter. */
  prefixes: string[]
}

export interface ListOptions extends CallOptions {
  delimiter?: string
  /** Keys per request (S3 answers at most 1,000). */
  pageSize?: number
  startAfter?: string
}

export interface GetOptions extends CallOptions {
  /** First byte (default 0). */
  start?: number
  /** One past the last byte (default: the end of the object). */
  end?: number
  /** Fail with ESTALE when the object is no longer this version. */
  ifMatch?: string
  /** Where the bytes go (at least end - start long): the answer is a view of it. */
  into?: Buffer
}

export interface CopyOptions extends CallOptions {
  /** Replace the metadata (MetadataDirective REPLACE) instead of copying the source's. */
  metadata?: Record<string, string>
  contentType?: string
  /** The source's size, when known (spares a HEAD before choosing how to copy). */
  size?: number
  ifMatch?: string
}

/**
 * A thin layer over S3: one method per object call, each with a deadline, retries with
 * backoff for the failures worth another attempt, and errors as FsError values (errnoOf).
 */
export class S3ObjectStore {
  readonly bucket: string
  readonly client: S3Client
  readonly partSize: number
  readonly uploadConcurrency: number
  readonly stats = new StoreStats()
  /** Deletions acknowledged and sent in batches (deleteSoon): their keys are gone for every call here. */
  readonly deletes: DeferredDeletes
  private readonly policy: CallPolicy
  private readonly copyPartThreshold: number
  private readonly copyPartSize: number
  private readonly options: S3ObjectStoreOptions
  private readonly idleTimeoutMs: number
  /** The lean transport of the frequent calls (S3Http), made on first use (the region may need resolving). */
  private transport: Promise<S3Http> | undefined

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket) throw new S3ConfigError('bucket: required')
    this.bucket = options.bucket
    this.partSize = options.partSize ?? 8 * MiB
    this.uploadConcurrency = options.uploadConcurrency ?? 4
    this.copyPartThreshold = options.copyPartThreshold ?? maxSinglePut
    this.copyPartSize = options.copyPartSize ?? 512 * MiB
    if (this.partSize < minPartSize) throw new S3ConfigError(`partSize: at least ${minPartSize} bytes (S3's minimum)`)
    if (this.copyPartSize < minPartSize) throw new S3ConfigError(`copyPartSize: at least ${minPartSize} bytes`)
    if (this.copyPartThreshold > maxSinglePut) throw new S3ConfigError(`copyPartThreshold: at most ${maxSinglePut} bytes`)
    if (!(this.uploadConcurrency >= 1)) throw new S3ConfigError('uploadConcurrency: at least 1')
    const timeoutMs = options.timeoutMs ?? 30_000
    this.policy = {
      timeoutMs,
      retry: { ...defaultRetryOptions, ...options.retry },
      onRetry: () => this.stats.retries++,
    }
    this.options = options
    this.deletes = new DeferredDeletes((keys) => this.deleteMany(keys), options.report)
    this.idleTimeoutMs = options.idleTimeoutMs ?? Math.min(timeoutMs, 20_000)
    this.client =
      options.client ??
      createS3Client({
        ...options,
        maxSockets: options.maxConnections ?? 32,
        connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
        idleTimeoutMs: this.idleTimeoutMs,
      })
  }

  /**
   * HEAD, GET, PUT, UploadPart, DELETE, copy and list go through S3Http (our own HTTP/1.1
   * connections, SigV4), with the SDK client's region and credential chain; the other multipart
   * calls, batched deletes and the bucket calls through the SDK.
   */
  private http(): Promise<S3Http> {
    this.transport ??= (async () => {
      const { endpoint, region, forcePathStyle } = this.options
      return new S3Http({
        bucket: this.bucket,
        endpoint,
        region: region ?? (await this.client.config.region()),
        pathStyle: forcePathStyle ?? endpoint !== undefined,
        credentials: () => this.client.config.credentials(),
        maxSockets: this.options.maxConnections ?? 32,
        idleTimeoutMs: this.idleTimeoutMs,
      })
    })().catch((error: unknown) => {
      // No region yet (a misconfiguration): asked again next time rather than failing for good.
      this.transport = undefined
      throw error
    })
    return this.transport
  }

  /** The object's size, version and metadata; undefined when there is no such key. */
  async head(key: string, options: CallOptions = {}): Promise<ObjectHead | undefined> {
    if (this.deletes.has(key)) return undefined
    try {
      return await this.call('HEAD', key, options, async (signal) => {
        const answer = await (await this.http()).send({ method: 'HEAD', key, signal })
        return headOf(key, answer.headers)
      })
    } catch (error) {
      // A HEAD answer has no body: a missing bucket looks like a missing key here (LIST tells).
      if ((error as { code?: string }).code === 'ENOENT') return undefined
      throw error
    }
  }

  /** Bytes [start, end) of the object; fewer at its end, none from its end on. */
  async get(key: string, options: GetOptions = {}): Promise<Buffer> {
    const start = options.start ?? 0
    const end = options.end
    if (this.deletes.has(key)) throw noSuchKey('GET', key)
    if (end !== undefined && end <= start) return Buffer.alloc(0)
    const range = start > 0 || end !== undefined ? `bytes=${start}-${end !== undefined ? end - 1 : ''}` : undefined
    try {
      return await this.call('GET', key, options, async (signal) => {
        const headers: Record<string, string> = {}
        if (range !== undefined) headers.range = range
        if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch
        const destination = (answer: Record<string, string>, length: number) => {
          // A server that ignores Range answers 200 with the whole object: fine when that is all
          // that was asked for, wrong (and maybe huge) otherwise.
          if (range !== undefined && answer['content-range'] === undefined && (start > 0 || (end !== undefined && length > end - start))) {
            throw new Error('the server ignored the Range header')
          }
          return options.into ?? Buffer.allocUnsafe(length)
        }
        const { body: data } = await (await this.http()).send({ method: 'GET', key, headers, destination, signal })
        this.stats.bytesReceived += data.length
        return data
      })
    } catch (error) {
      // A range from the end on (also any range of an empty object): nothing to read.
      const cause = (error as { cause?: unknown }).cause
      if (s3CodeOf(cause) === 'InvalidRange' || httpStatusOf(cause) === 416) return Buffer.alloc(0)
      throw error
    }
  }

  /** One PUT (up to 5 GiB). Returns the new ETag. */
  async put(key: string, body: UploadBody, options: ObjectWriteOptions = {}): Promise<string> {
    await this.deletes.beforeWrite(key)
    return this.call('PUT', key, options, async (signal) => {
      const headers = metadataHeaders(options.metadata, options.contentType)
      const answer = await (await this.http()).send({ method: 'PUT', key, headers, body, signal })
      this.stats.bytesSent += body.length
      return answer.headers.etag ?? ''
    })
  }

  /**
   * Uploads a whole object: one PUT below the part size, else a multipart upload whose parts go
   * in parallel (`uploadConcurrency`), each streamed from the buffer or file. The part size grows
   * when the object would need more than S3's 10,000 parts.
   */
  async upload(key: string, body: UploadBody, options: ObjectWriteOptions = {}): Promise<void> {
    const size = body.length
    if (size < this.partSize) {
      await this.put(key, body, options)
      return
    }
    const partSize = this.partSizeFor(size)
    const partCount = Math.ceil(size / partSize)
    await runMultipartUpload(
      this,
      key,
      partCount,
      (partNumber, uploadId) => {
        const start = (partNumber - 1) * partSize
        const length = Math.min(partSize, size - start)
        const part = Buffer.isBuffer(body)
          ? body.subarray(start, start + length)
          : { path: body.path, start: body.start + start, length }
        return this.uploadPart(key, uploadId, partNumber, part, options)
      },
      { ...options, concurrency: this.uploadConcurrency },
    )
  }

  /** The part size for an object of `size` bytes: the configured one, or larger past 10,000 parts. */
  partSizeFor(size: number): number {
    const needed = Math.ceil(size / maxParts)
    return needed <= this.partSize ? this.partSize : Math.ceil(needed / MiB) * MiB
  }

  /**
   * Server-side copy. With `metadata`, the copy gets it instead of the source's (also onto
   * itself, which is how metadata changes in place). Past `copyPartThreshold` (5 GiB, the most
   * one CopyObject takes) the copy goes part by part with UploadPartCopy.
   */
  async copy(source: string, target: string, options: CopyOptions = {}): Promise<void> {
    if (this.deletes.has(source)) throw noSuchKey('COPY', source)
    await this.deletes.beforeWrite(target)
    let size = options.size
    if (size === undefined || size > this.copyPartThreshold) {
      const head = await this.head(source, options)
      if (!head) throw noSuchKey('COPY', source)
      size = head.size
      if (size > this.copyPartThreshold) {
        await this.copyInParts(source, target, head, options)
        return
      }
    }
    await this.call('COPY', `${source} -> ${target}`, this.copyDeadline(size, options), async (signal) => {
      const headers: Record<string, string> = {
        'x-amz-copy-source': this.copySource(source),
        'x-amz-metadata-directive': options.metadata ? 'REPLACE' : 'COPY',
        ...(options.metadata ? metadataHeaders(options.metadata, options.contentType) : {}),
      }
      if (options.ifMatch !== undefined) headers['x-amz-copy-source-if-match'] = options.ifMatch
      const { body } = await (await this.http()).send({ method: 'PUT', key: target, headers, signal })
      // A copy can fail after its 200 OK has gone out: the error is then in the body.
      const answer = body.toString('utf8')
      if (answer.includes('<Error>')) throw new S3HttpError(xmlText(answer, 'Code') ?? 'InternalError', 500)
    })
  }

  private async copyInParts(source: string, target: string, head: ObjectHead, options: CopyOptions): Promise<void> {
    const partSize = Math.max(this.copyPartSize, Math.ceil(head.size / maxParts / MiB) * MiB)
    const partCount = Math.ceil(head.size / partSize)
    const ifMatch = options.ifMatch ?? head.etag
    await runMultipartUpload(
      this,
      target,
      partCount,
      (partNumber, uploadId) => {
        const start = (partNumber - 1) * partSize
        const end = Math.min(head.size, start + partSize)
        return this.uploadPartCopy(target, uploadId, partNumber, source, start, end, { ...options, ifMatch })
      },
      {
        ...options,
        metadata: options.metadata ?? head.metadata,
        contentType: options.metadata ? options.contentType : head.contentType,
        concurrency: this.uploadConcurrency,
      },
    )
  }

  /** Deletes one key (no error when it is already gone: S3 answers 204 either way). */
  async delete(key: string, options: CallOptions = {}): Promise<void> {
    await this.call('DELETE', key, options, async (signal) => {
      await (await this.http()).send({ method: 'DELETE', key, signal })
    })
  }

  /**
   * Deletes `key` for this mount at once and in S3 with the next batch (DeferredDeletes): from
   * now on HEAD, GET, copy and listings here do not see it, and a write to it waits for the deletion.
   */
  deleteSoon(key: string): void {
    this.deletes.add(key)
  }

  /** Waits until every deferred deletion of a key under `prefix` reached S3 (before a listing must be exact). */
  settleDeletes(prefix: string): Promise<void> {
    return this.deletes.pending === 0 ? Promise.resolve() : this.deletes.settle((key) => key.startsWith(prefix))
  }

  /** Deletes many keys, 1,000 per request; returns the keys S3 refused to delete, with its code. */
  async deleteMany(keys: readonly string[], options: CallOptions = {}): Promise<Array<{ key: string; code: string }>> {
    const failed: Array<{ key: string; code: string }> = []
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000)
      const errors = await this.call('DELETE-MANY', batch[0] ?? '', options, async (signal) => {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
          { abortSignal: signal },
        )
        return out.Errors ?? []
      })
      for (const e of errors) failed.push({ key: e.Key ?? '', code: e.Code ?? 'InternalError' })
    }
    return failed
  }

  /**
   * Lists keys under `prefix`, one page per request (ListObjectsV2), following continuation
   * tokens. With a delimiter, deeper keys come as common prefixes. Each page is its own call,
   * with its own deadline and retries.
   */
  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ListPage> {
    let token: string | undefined
    do {
      const deleted = this.deletes.listingFilter()
      const query: Array<[string, string]> = [
        ['list-type', '2'],
        ['prefix', prefix],
        ['encoding-type', 'url'],
      ]
      if (options.delimiter !== undefined) query.push(['delimiter', options.delimiter])
      if (options.pageSize !== undefined) query.push(['max-keys', String(options.pageSize)])
      if (token !== undefined) query.push(['continuation-token', token])
      else if (options.startAfter !== undefined) query.push(['start-after', options.startAfter])
      const { page, next } = await this.call('LIST', prefix, options, async (signal) => {
        const { body } = await (await this.http()).send({ method: 'GET', query, signal })
        return parseListPage(body.toString('utf8'))
      })
      token = next
      // Keys deleted here, not yet in S3 or only since the request went out, are not shown.
      page.objects = page.objects.filter((o) => !deleted(o.key))
      yield page
    } while (token !== undefined)
  }

  async createMultipartUpload(key: string, options: ObjectWriteOptions = {}): Promise<string> {
    await this.deletes.beforeWrite(key)
    return this.call('CREATE-MULTIPART', key, options, async (signal) => {
      const out = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: options.contentType,
          Metadata: options.metadata,
        }),
        { abortSignal: signal },
      )
      if (!out.UploadId) throw new Error('CreateMultipartUpload answered no UploadId')
      return out.UploadId
    })
  }

  /** Uploads one part (5 MiB at least, but for the last); returns its ETag. */
  async uploadPart(key: string, uploadId: string, partNumber: number, body: UploadBody, options: CallOptions = {}): Promise<string> {
    return this.call('UPLOAD-PART', key, options, async (signal) => {
      const query: Array<[string, string]> = [
        ['partNumber', String(partNumber)],
        ['uploadId', uploadId],
      ]
      const answer = await (await this.http()).send({ method: 'PUT', key, query, body, signal })
      this.stats.bytesSent += body.length
      return answer.headers.etag ?? ''
    })
  }

  /** A part made of bytes [start, end) of another object, copied by the server. */
  async uploadPartCopy(
    key: string,
    uploadId: string,
    partNumber: number,
    source: string,
    start: number,
    end: number,
    options: CallOptions & { ifMatch?: string } = {},
  ): Promise<string> {
    return this.call('UPLOAD-PART-COPY', key, this.copyDeadline(end - start, options), async (signal) => {
      const out = await this.client.send(
        new UploadPartCopyCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          CopySource: this.copySource(source),
          CopySourceRange: `bytes=${start}-${end - 1}`,
          CopySourceIfMatch: options.ifMatch,
        }),
        { abortSignal: signal },
      )
      return out.CopyPartResult?.ETag ?? ''
    })
  }

  async completeMultipartUpload(key: string, uploadId: string, etags: string[], options: CallOptions = {}): Promise<void> {
    await this.deletes.beforeWrite(key)
    await this.call('COMPLETE-MULTIPART', key, options, async (signal) => {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
        { abortSignal: signal },
      )
    })
  }

  async abortMultipartUpload(key: string, uploadId: string, options: CallOptions = {}): Promise<void> {
    await this.call('ABORT-MULTIPART', key, options, async (signal) => {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), {
        abortSignal: signal,
      })
    })
  }

  /** Creates the store's bucket (tests, first use); EEXIST when it is there already. */
  async createBucket(options: CallOptions = {}): Promise<void> {
    await this.call('CREATE-BUCKET', this.bucket, options, async (signal) => {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }), { abortSignal: signal })
    })
  }

  /** Deletes the store's bucket, which must be empty. */
  async deleteBucket(options: CallOptions = {}): Promise<void> {
    await this.call('DELETE-BUCKET', this.bucket, options, async (signal) => {
      await this.client.send(new DeleteBucketCommand({ Bucket: this.bucket }), { abortSignal: signal })
    })
  }

  /** Closes the kept-alive sockets. */
  destroy(): void {
    this.client.destroy()
    void this.transport?.then((http) => http.destroy(), () => undefined)
  }

  /** A server-side copy takes time by its size: no less than 1 s per 20 MiB (5 GiB: 256 s). */
  private copyDeadline(bytes: number, options: CallOptions): CallOptions {
    if (options.timeoutMs !== undefined) return options
    return { ...options, timeoutMs: Math.max(this.policy.timeoutMs, Math.ceil(bytes / (20 * MiB)) * 1000) }
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
  }

  private async call<T>(operation: string, key: string, options: CallOptions, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.stats.count(operation)
    try {
      return await runCall(attempt, options, this.policy)
    } catch (error) {
      throw fsErrorOf(error, operation, key)
    }
  }
}

/** What S3 would answer for a key that is not there. */
function noSuchKey(operation: string, key: string): Error {
  return fsErrorOf(Object.assign(new Error(), { name: 'NoSuchKey' }), operation, key)
}

/** A HEAD answer's headers as an ObjectHead; user metadata keys lowercase, without `x-amz-meta-`. */
function headOf(key: string, headers: Record<string, string>): ObjectHead {
  const metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-') && value !== undefined) metadata[name.slice('x-amz-meta-'.length)] = String(value)
  }
  return {
    key,
    size: Number(headers['content-length'] ?? 0),
    lastModified: headers['last-modified'] ? new Date(headers['last-modified']) : new Date(0),
    etag: headers.etag ?? '',
    contentType: headers['content-type'],
    metadata,
  }
}

/** The headers that carry user metadata and a content type. */
function metadataHeaders(metadata: Record<string, string> | undefined, contentType: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(metadata ?? {})) headers[`x-amz-meta-${name}`] = value
  if (contentType !== undefined) headers['content-type'] = contentType
  return headers
}
