import type { ListPage } from './object-store.js'

/**
 * The few S3 XML answers the lean transport reads (listings, errors, copy results), taken apart
 * with regular expressions: their elements are flat and known, and no general parser is needed.
 */

const entities: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Text of XML with its entities (named, decimal and hexadecimal) decoded; nothing else changed. */
export function xmlDecode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') return String.fromCodePoint(entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1)))
    return entities[entity] ?? whole
  })
}

/** The decoded text of the first `<tag>` element, or undefined. */
export function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)
  return match ? xmlDecode(match[1]!) : undefined
}

/** Every `<tag>…</tag>` block's inside. */
function xmlBlocks(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1]!)
}

/** A ListObjectsV2 answer: its page, and the token of the next one when truncated. */
export function parseListPage(xml: string): { page: ListPage; next: string | undefined } {
  // With encoding-type=url the server says so, and keys come URL-encoded ("+" is a space on AWS).
  const urlEncoded = xmlText(xml, 'EncodingType') === 'url'
  const name = (raw: string | undefined) => {
    const text = raw ?? ''
    return urlEncoded ? decodeURIComponent(text.replace(/\+/g, '%20')) : text
  }
  const objects = xmlBlocks(xml, 'Contents').map((block) => ({
    key: name(xmlText(block, 'Key')),
    size: Number(xmlText(block, 'Size') ?? 0),
    lastModified: new Date(xmlText(block, 'LastModified') ?? 0),
    etag: xmlText(block, 'ETag') ?? '',
  }))
  const prefixes = xmlBlocks(xml, 'CommonPrefixes').map((block) => name(xmlText(block, 'Prefix')))
  const truncated = xmlText(xml, 'IsTruncated') === 'true'
  return { page: { objects, prefixes }, next: truncated ? xmlText(xml, 'NextContinuationToken') : undefined }
}
