import type { FileHandle } from 'node:fs/promises'
import { FileType, type Stat, type Timespec } from '@fusekit/core'
import { tarEntries, type TarEntry } from './tar-entries.js'

/** A file, directory or symlink of the archive; every name of a hard-linked file is this one node. */
export interface ArchiveNode {
  /** The node id (1 for the root), also shown as st_ino. */
  readonly ino: number
  readonly attr: Stat
  /** A directory's entries, and its parent (the root is its own). */
  children?: Map<string, ArchiveNode>
  parent?: ArchiveNode
  /** A symlink's target. */
  target?: string
  /** Where a file's bytes start in the archive. */
  dataOffset: number
}

/** What the archive holds, as a tree of nodes, and the members left out (with why). */
export interface ArchiveTree {
  readonly root: ArchiveNode
  readonly nodes: ReadonlyMap<number, ArchiveNode>
  readonly skipped: string[]
}

const TYPE_BITS: Record<'file' | 'directory' | 'symlink', number> = { file: FileType.S_IFREG, directory: FileType.S_IFDIR, symlink: FileType.S_IFLNK }

/**
 * Reads every header of the archive and builds its tree: directories a member implies but the
 * archive lacks are made (0755, the archive file's owner and mtime); a later member of the same
 * name replaces an earlier one, as extraction would; hard links join their target's node.
 */
export async function readArchiveTree(file: FileHandle): Promise<ArchiveTree> {
  const archive = await file.stat({ bigint: true })
  const owner = { uid: Number(archive.uid), gid: Number(archive.gid) }
  const archiveTime: Timespec = { sec: Number(archive.mtimeNs / 1_000_000_000n), nsec: Number(archive.mtimeNs % 1_000_000_000n) }
  const nodes = new Map<number, ArchiveNode>()
  const skipped: string[] = []

  const node = (kind: keyof typeof TYPE_BITS, mode: number, uid: number, gid: number, size: number, mtime: Timespec): ArchiveNode => {
    const ino = nodes.size + 1
    const attr: Stat = { ino, mode: TYPE_BITS[kind] | mode, nlink: kind === 'directory' ? 2 : 1, uid, gid, rdev: 0, size, blksize: 4096, blocks: Math.ceil(size / 512), atime: mtime, mtime, ctime: mtime }
    const made: ArchiveNode = { ino, attr, dataOffset: 0, ...(kind === 'directory' ? { children: new Map() } : {}) }
    nodes.set(ino, made)
    return made
  }
  const root = node('directory', 0o755, owner.uid, owner.gid, 0, archiveTime)
  root.parent = root

  const put = (parent: ArchiveNode, name: string, child: ArchiveNode) => {
    const old = parent.children!.get(name)
    if (old) unlinkName(parent, old)
    parent.children!.set(name, child)
    if (child.children) {
      child.parent = parent
      ;parent.attr.nlink++
    }
  }
  const directoryAt = (names: string[]): ArchiveNode | undefined => {
    let dir = root
    for (const name of names) {
      let next = dir.children!.get(name)
      if (!next) put(dir, name, (next = node('directory', 0o755, owner.uid, owner.gid, 0, archiveTime)))
      if (!next.children) return undefined
      dir = next
    }
    return dir
  }
  const find = (names: string[]): ArchiveNode | undefined => names.reduce<ArchiveNode | undefined>((at, name) => at?.children?.get(name), root)

  for await (const entry of tarEntries(file)) {
    const names = entry.path.split('/').filter((name) => name !== '' && name !== '.')
    const problem = names.includes('..') ? 'it leaves the archive\'s root (..)' : names.some((n) => Buffer.byteLength(n) > 255) ? 'a name is longer than 255 bytes' : entry.kind === 'other' ? `members of type '${entry.type}' (devices, fifos, sparse files) are not shown` : undefined
    if (problem) {
      skipped.push(`${entry.path}: ${problem}`)
      continue
    }
    const name = names.pop()
    if (name === undefined) {
      // The archive's own root ("./"): its mode, owner and time are the mount's root's.
      takeAttributes(root, entry)
      continue
    }
    const parent = directoryAt(names)
    if (!parent) {
      skipped.push(`${entry.path}: a member above it is not a directory`)
      continue
    }
    if (entry.kind === 'hardlink') {
      const target = find(entry.target.split('/').filter((n) => n !== '' && n !== '.'))
      if (!target || target.children) {
        skipped.push(`${entry.path}: a hard link to ${target ? 'a directory' : `${entry.target}, which comes nowhere before it`}`)
        continue
      }
      put(parent, name, target)
      ;target.attr.nlink++
      continue
    }
    const existing = parent.children!.get(name)
    if (entry.kind === 'directory' && existing?.children) {
      // A directory named again (its entry after its contents, or twice): new attributes, same entries.
      takeAttributes(existing, entry)
      continue
    }
    put(parent, name, fromEntry(entry, node))
  }
  return { root, nodes, skipped }
}

function fromEntry(entry: TarEntry, node: (kind: keyof typeof TYPE_BITS, mode: number, uid: number, gid: number, size: number, mtime: Timespec) => ArchiveNode): ArchiveNode {
  if (entry.kind === 'symlink') {
    const made = node('symlink', 0o777, entry.uid, entry.gid, Buffer.byteLength(entry.target), entry.mtime)
    made.target = entry.target
    return made
  }
  const kind = entry.kind === 'directory' ? 'directory' : 'file'
  const made = node(kind, entry.mode, entry.uid, entry.gid, kind === 'file' ? entry.size : 0, entry.mtime)
  made.dataOffset = entry.dataOffset
  return made
}

/** A name replaced by a later member: its node loses that name (a directory, its parent's link). */
function unlinkName(parent: ArchiveNode, old: ArchiveNode): void {
  if (old.children) parent.attr.nlink--
  else old.attr.nlink--
}

/** A member's mode, owner and time on a directory that already has its entries. */
function takeAttributes(dir: ArchiveNode, entry: TarEntry): void {
  Object.assign(dir.attr, { mode: FileType.S_IFDIR | entry.mode, uid: entry.uid, gid: entry.gid, atime: entry.mtime, mtime: entry.mtime, ctime: entry.mtime })
}
