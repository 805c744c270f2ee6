import { createHash, createHmac } from 'node:crypto'

/** What signs a request: the caller's credentials (from the SDK's default chain). */
export interface SigningCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** The payload hash sent when the body is not hashed (streamed uploads, and every request here). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD'

/** RFC 3986 encoding, as SigV4 wants it: encodeURIComponent leaves !'()* alone. */
export function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * AWS Signature Version 4 for S3, with the payload unsigned (UNSIGNED-PAYLOAD). The signing key
 * depends only on the secret, the day and the region: it is derived once a day, so a request
 * costs one SHA-256 and one HMAC.
 */
export class SigV4Signer {
  private keyDay = ''
  private keySecret = ''
  private key: Buffer = Buffer.alloc(0)

  constructor(private readonly region: string) {}

  /**
   * Adds `x-amz-date`, `x-amz-content-sha256`, the session token if any, and `authorization` to
   * `headers` (which must hold `host`). `path` is already URI-encoded; `query` is unencoded.
   */
  sign(method: string, path: string, query: ReadonlyArray<readonly [string, string]>, headers: Record<string, string>, credentials: SigningCredentials, now = new Date()): void {
    const stamp = now.toISOString().replace(/[:-]|\.\d{3}/g, '')
    const day = stamp.slice(0, 8)
    headers['x-amz-date'] = stamp
    headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD
    if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken
    const signed = Object.keys(headers)
      .map((name) => name.toLowerCase())
      .filter((name) => name === 'host' || name.startsWith('x-amz-') || name === 'content-type' || name === 'content-md5')
      .sort()
    const canonicalHeaders = signed.map((name) => `${name}:${String(headerValue(headers, name)).trim().replace(/\s+/g, ' ')}\n`).join('')
    const canonicalQuery = query
      .map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`)
      .sort()
      .join('&')
    const signedHeaders = signed.join(';')
    const canonical = [method, path, canonicalQuery, canonicalHeaders, signedHeaders, UNSIGNED_PAYLOAD].join('\n')
    const scope = `${day}/${this.region}/s3/aws4_request`
    const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, createHash('sha256').update(canonical).digest('hex')].join('\n')
    const signature = createHmac('sha256', this.signingKey(credentials.secretAccessKey, day)).update(stringToSign).digest('hex')
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`
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

function headerValue(headers: Record<string, string>, lowerName: string): string {
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === lowerName) return value
  return ''
}
