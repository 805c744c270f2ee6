import type { FileHandle } from 'node:fs/promises'
import { FsError, type Timespec } from '@fusekit/core'
import { parsePaxRecords, paxTime } from './pax.js'
import { BLOCK, isZeroBlock, parseHeader, type TarHeader } from './tar-header.js'

/** A member of the archive, with pax and GNU long names and values applied. */
export interface TarEntry {
  /** As stored: may start with './' or '/', end with '/'. */
  path: string
  kind: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other'
  /** The typeflag, for messages about 'other' members (devices, fifos, GNU sparse files). */
  type: string
  /** Permission bits (and set-id, sticky). */
  mode: number
  uid: number
  gid: number
  size: number
  mtime: Timespec
  /** A symlink's target, or the path of the member a hard link names. */
  target: string
  /** Where a file's bytes start in the archive. */
  dataOffset: number
}

const KINDS: Readonly<Record<string, TarEntry['kind']>> = { '0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory' }
/** Members whose header size says nothing about data that follows. */
const NO_DATA = new Set(['1', '2', '5'])

const roundUp = (size: number) => Math.ceil(size / BLOCK) * BLOCK

/** Compressed archives cannot be read in place; say what to do instead. */
const COMPRESSIONS: Array<[string, Buffer]> = [
  ['gzip', Buffer.from([0x1f, 0x8b])],
  ['bzip2', Buffer.from('BZh')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
]

async function readAt(file: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  const { bytesRead } = await file.read(buffer, 0, length, offset)
  if (bytesRead < length) throw new FsError('EINVAL', `the archive ends inside a member: ${length} bytes wanted at byte ${offset}, ${bytesRead} there`)
  return buffer
}

/** A GNU long name or link ('L', 'K'): the data, up to its NUL. */
const longText = (data: Buffer) => data.subarray(0, data.indexOf(0) < 0 ? data.length : data.indexOf(0)).toString('utf8')

/**
 * The members of a tar archive (POSIX ustar and pax, GNU), read header by header; data is not
 * read, only located. Ends at the two zero blocks that close an archive (or at its end).
 */
export async function* tarEntries(file: FileHandle): AsyncGenerator<TarEntry> {
  const head = Buffer.alloc(6)
  await file.read(head, 0, 6, 0)
  for (const [name, magic] of COMPRESSIONS) {
    if (head.subarray(0, magic.length).equals(magic)) throw new FsError('EINVAL', `the archive is ${name}-compressed: members are read in place, so give the uncompressed .tar`)
  }
  const archiveSize = (await file.stat()).size
  const global = new Map<string, string>()
  let pending = new Map<string, string>()
  let longName: string | undefined
  let longLink: string | undefined
  for (let offset = 0; ; ) {
    const block = Buffer.alloc(BLOCK)
    const { bytesRead } = await file.read(block, 0, BLOCK, offset)
    if (bytesRead === 0 || (bytesRead === BLOCK && isZeroBlock(block))) return
    if (bytesRead < BLOCK) throw new FsError('EINVAL', `the archive ends inside the header at byte ${offset}`)
    const header = parseHeader(block, offset)
    const dataOffset = offset + BLOCK
    const data = () => readAt(file, dataOffset, header.size)
    if (header.type === 'x') pending = parsePaxRecords(await data(), offset)
    else if (header.type === 'g') for (const [key, value] of parsePaxRecords(await data(), offset)) global.set(key, value)
    else if (header.type === 'L') longName = longText(await data())
    else if (header.type === 'K') longLink = longText(await data())
    else {
      const entry = member(header, new Map([...global, ...pending]), longName, longLink, dataOffset)
      if (entry.kind === 'file' && dataOffset + entry.size > archiveSize) {
        throw new FsError('EINVAL', `the archive ends inside ${entry.path}: ${entry.size} bytes from byte ${dataOffset}, the archive has ${archiveSize}`)
      }
      yield entry
      pending = new Map()
      longName = longLink = undefined
      offset = dataOffset + (NO_DATA.has(header.type) ? 0 : roundUp(entry.size))
      continue
    }
    offset = dataOffset + roundUp(header.size)
  }
}

/** A member from its header and the values that override it (pax records, GNU long names). */
function member(header: TarHeader, pax: Map<string, string>, longName: string | undefined, longLink: string | undefined, dataOffset: number): TarEntry {
  const int = (key: string, fallback: number) => (pax.has(key) ? Number(pax.get(key)) : fallback)
  return {
    path: pax.get('path') ?? longName ?? (header.prefix ? `${header.prefix}/${header.name}` : header.name),
    kind: KINDS[header.type] ?? 'other',
    type: header.type,
    mode: header.mode & 0o7777,
    uid: int('uid', header.uid),
    gid: int('gid', header.gid),
    size: int('size', header.size),
    mtime: pax.has('mtime') ? paxTime(pax.get('mtime')!) : { sec: header.mtime, nsec: 0 },
    target: pax.get('linkpath') ?? longLink ?? header.linkname,
    dataOffset,
  }
}
