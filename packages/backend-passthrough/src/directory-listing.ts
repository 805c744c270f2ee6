import type { Entry, InodeDirEntry } from '@fusekit/core'
import { DirectoryStream } from './directory-stream.js'
import type { SourceNode, SourceNodes } from './source-nodes.js'

export interface ListingOptions {
  /** What ".." shows (the root's parent lies outside the source: the root shows itself there). */
  parentIno?: number
  /**
   * The Entry of a name (of getdents' inode number `ino`) for READDIRPLUS, counting one lookup;
   * undefined when it cannot be had or the kernel has it already.
   */
  lookup?: (name: string, ino: number) => Entry | undefined
}

/**
 * The entries of a directory from `offset` (the number already read), lazily: the driver takes
 * what fits in one reply and continues the same iterator at the next read, so a huge directory
 * is read once. A name gets its Entry (a lookup) only as it is yielded; a name gone since
 * getdents listed it is yielded without one (as its offset still counts).
 */
export function listDirectory(nodes: SourceNodes, node: SourceNode, offset: number, options: ListingOptions): Iterable<InodeDirEntry> {
  return entries(new DirectoryStream(nodes, node, offset).start(), options)
}

function* entries(stream: DirectoryStream, { parentIno, lookup }: ListingOptions): Generator<InodeDirEntry> {
  for (let raw = stream.next(); raw !== undefined; raw = stream.next()) {
    const { name } = raw
    const dots = name === '.' || name === '..'
    yield {
      name,
      ino: name === '..' && parentIno !== undefined ? parentIno : raw.ino,
      type: raw.dtype << 12,
      entry: lookup && !dots ? lookup(name, raw.ino) : undefined,
    }
  }
}
