import { FsError } from '@fusekit/core'
import { isDirectory } from './file-stat.js'
import type { MountParts } from './mount-parts.js'
import { contentTypeFor, encodeAttributes, foreignMetadata, type ObjectAttributes } from './object-metadata.js'

/** Where objects are rewritten: the store and the key layout. */
export type MetadataTarget = Pick<MountParts, 'store' | 'keys'>

/** What a rewrite kept: the object's size, and the metadata of other tools found in it. */
export interface Rewritten {
  size: number
  foreign: Record<string, string>
}

/**
 * Writes the object of `path` again with `attributes` as its metadata (S3 changes metadata no
 * other way), copying it by the server from `from` when given (a rename), else onto itself. A
 * plain object (only attributes in its metadata: isPlainObject) is written at once; any other
 * is read first (HEAD), so that the metadata of other tools and the content type are kept. A
 * directory's marker is empty: it is put anew rather than copied, and one that was missing (a
 * directory known only as a prefix) is made.
 */
export async function rewriteMetadata(parts: MetadataTarget, path: string, attributes: ObjectAttributes, plain: boolean, signal?: AbortSignal, from = path): Promise<Rewritten> {
  const { store, keys } = parts
  const directory = isDirectory(attributes)
  const keyOf = (p: string) => (directory ? keys.dirKey(p) : keys.fileKey(p))
  const [source, target] = [keyOf(from), keyOf(path)]
  if (plain && directory) {
    await store.put(target, Buffer.alloc(0), { metadata: encodeAttributes(attributes), contentType: contentTypeFor(attributes.mode), signal })
    return { size: 0, foreign: {} }
  }
  if (plain) {
    await store.copy(source, target, { metadata: encodeAttributes(attributes), contentType: contentTypeFor(attributes.mode), size: attributes.size, signal })
    return { size: attributes.size, foreign: {} }
  }
  const head = await store.head(source, { signal })
  const foreign = foreignMetadata(head?.metadata)
  const metadata = { ...foreign, ...encodeAttributes(attributes) }
  if (head) {
    await store.copy(source, target, { metadata, contentType: head.contentType ?? contentTypeFor(attributes.mode), size: head.size, ifMatch: head.etag, signal })
    return { size: directory ? 0 : head.size, foreign }
  }
  if (!directory) throw new FsError('ENOENT', `${from} was removed elsewhere`)
  await store.put(target, Buffer.alloc(0), { metadata, contentType: contentTypeFor(attributes.mode), signal })
  return { size: 0, foreign }
}
