import { createHmac, hash } from 'node:crypto'

/** What signs a request: the caller's credentials (from the SDK's default chain). */
export interface SigningCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** The payload hash sent when the body is not hashed (streamed uploads, and every request here). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

/** The characters RFC 3986 leaves unencoded: most keys are only these, and need no work. */
const UNRESERVED = /^[A-Za-z0-9\-._~]*$/

/** RFC 3986 encoding, as SigV4 wants it: encodeURIComponent leaves !'()* alone. */
export function uriEncode(text: string): string {
  if (UNRESERVED.test(text)) return text
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * AWS Signature Version 4 for S3, with the payload unsigned (UNSIGNED-PAYLOAD). The signing key
 * depends only on the secret, the day and the region: it is derived once a day, so a request
 * costs one SHA-256 and one HMAC (and the date's text is made once a second).
 */
export class SigV4Signer {
  private keyDay = ''
  private keySecret = ''
  private key: Buffer = Buffer.alloc(0)
  private stampSecond = -1
  private stamp = ''

  constructor(private readonly region: string) {}

  /**
   * Adds `x-amz-date`, `x-amz-content-sha256`, the session token if any, and `authorization` to
   * `headers` (which must hold `host`). `path` is already URI-encoded; `query` is unencoded.
   */
  sign(method: string, path: string, query: ReadonlyArray<readonly [string, string]>, headers: Record<string, string>, credentials: SigningCredentials, now = new Date()): void {
    const stamp = this.stampOf(now)
    const day = stamp.slice(0, 8)
    headers['x-amz-date'] = stamp
    headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken
    // The signed headers by lower-case name, sorted; values trimmed, inner runs of spaces made one.
    const signed: Array<[string, string]> = []
    for (const name in headers) {
      const lower = name.toLowerCase()
      if (lower === 'host' || lower.startsWith('x-amz-') || lower === 'content-type' || lower === 'content-md5') signed.push([lower, headers[name]!])
    }
    signed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    let canonicalHeaders = ''
    let signedHeaders = ''
    for (const [name, value] of signed) {
      canonicalHeaders += `${name}:${value.trim().replace(/\s+/g, ' ')}\n`
      signedHeaders += signedHeaders ? `;${name}` : name
    }
    const canonicalQuery = query.length === 0 ? '' : query
      .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
      .sort()
      .join('&')
    const canonical = `${method}\n${path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${UNSIGNED_PAYLOAD}`
    const scope = `${day}/${this.region}/s3/aws4_request`
    const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${hash('sha256', canonical, 'hex')}`
    const signature = createHmac('sha256', this.signingKey(credentials.secretAccessKey, day)).update(stringToSign).digest('hex')
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
  }

  /** ISO 8601 basic format (20261202T221500Z), as x-amz-date wants it. */
  private stampOf(now: Date): string {
    const second = Math.floor(now.getTime() / 1000)
    if (second !== this.stampSecond) {
      this.stampSecond = second
      this.stamp = now.toISOString().replace(/[:-]|\.\d{3}/g, '')
    }
    return this.stamp
  }

  /** The derived key, made again when the day or the credentials (they rotate) change. */
  private signingKey(secret: string, day: string): Buffer {
    if (day !== this.keyDay || secret !== this.keySecret) {
      const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest()
      this.key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), 's3'), 'aws4_request')
      this.keyDay = day
      this.keySecret = secret
    }
    return this.key
  }
}
