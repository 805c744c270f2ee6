import { describe, expect, it } from 'vitest'
import { SigV4Signer, uriEncode } from '../src/sigv4.js'

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const at = new Date('2026-12-02T22:15:30.250Z')

function authorization(headers: Record<string, string>, now = at, query: Array<[string, string]> = []): string {
  const signed = { ...headers }
  new SigV4Signer('us-east-1').sign('GET', '/bucket/a%20key', query, signed, credentials, now)
  return signed.authorization!
}

describe('SigV4Signer', () => {
  it('encodes as RFC 3986 wants: unreserved characters as they are, the rest (also !\'()*) as %XX of UTF-8', () => {
    expect(uriEncode('Az09-._~')).toBe('Az09-._~')
    expect(uriEncode("it's (1)*!")).toBe('it%27s%20%281%29%2A%21')
    expect(uriEncode('ü/x')).toBe('%C3%BC%2Fx')
  })

  it('signs headers by lower-case name in sorted order: the names\' case and order do not change the signature', () => {
    const plain = authorization({ host: 'h:1', 'x-amz-meta-mode': '33188', 'content-type': 'text/plain' })
    expect(authorization({ 'Content-Type': 'text/plain', 'X-Amz-Meta-Mode': '33188', Host: 'h:1' })).toBe(plain)
    expect(plain).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261202\/us-east-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-meta-mode, Signature=[0-9a-f]{64}$/)
    // Values are trimmed and inner runs of blanks made one; anything else signs differently.
    expect(authorization({ host: 'h:1', 'x-amz-meta-mode': '  33188 ', 'content-type': 'text/plain' })).toBe(plain)
    expect(authorization({ host: 'h:1', 'x-amz-meta-mode': '33189', 'content-type': 'text/plain' })).not.toBe(plain)
    // Headers it does not sign (range) leave the signature alone.
    expect(authorization({ host: 'h:1', 'x-amz-meta-mode': '33188', 'content-type': 'text/plain', range: 'bytes=0-9' })).toBe(plain)
  })

  it('dates each request to its second, and signs the query sorted', () => {
    const signer = new SigV4Signer('us-east-1')
    const dateOf = (now: Date) => {
      const signed: Record<string, string> = { host: 'h:1' }
      signer.sign('GET', '/', [], signed, credentials, now)
      expect(signed['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD')
      return signed['x-amz-date']
    }
    expect(dateOf(at)).toBe('20261202T221530Z')
    expect(dateOf(new Date('2026-12-02T22:15:30.999Z'))).toBe('20261202T221530Z')
    expect(dateOf(new Date('2026-12-02T22:15:31.000Z'))).toBe('20261202T221531Z')
    expect(dateOf(new Date('2026-12-03T00:00:00.000Z'))).toBe('20261203T000000Z')
    expect(authorization({ host: 'h:1' }, new Date('2026-12-02T22:15:30.900Z'))).toBe(authorization({ host: 'h:1' }))
    expect(authorization({ host: 'h:1' }, new Date('2026-12-02T22:15:31.000Z'))).not.toBe(authorization({ host: 'h:1' }))
    const query: Array<[string, string]> = [['prefix', 'a b/'], ['list-type', '2']]
    expect(authorization({ host: 'h:1' }, at, query)).toBe(authorization({ host: 'h:1' }, at, [...query].reverse()))
  })
})
