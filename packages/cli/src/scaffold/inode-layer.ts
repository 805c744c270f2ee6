/** The generated sources of an inode-layer backend: a read-only view of a directory. */
export function inodeLayerSources(name: string): Record<string, string> {
  return {
    'src/index.ts': `import { defineBackend } from '@fusekit/core'
import { z } from 'zod'
import { SnapshotView } from './snapshot-view.js'
import { loadTree } from './source-tree.js'

/** The options, as \`fusekit mount ${name} <mountpoint> --source <dir>\` takes them (see --help). */
export const options = z.object({
  source: z.string().describe('The directory to show: its names and attributes are read at mount time'),
})

/**
 * The backend: what \`fusekit mount ${name}\` loads from this package. An inode-layer backend
 * hands out its own node ids (lookup) and gets every request by node; a hard link is one node.
 */
export default defineBackend({
  apiVersion: 2,
  layer: 'inode',
  name: '${name}',
  description: 'A read-only view of a directory as it was at mount time',
  options,
  // Read-only: the kernel answers every change with EROFS before asking the backend.
  mountDefaults: { readOnly: true },
  create: async ({ options }) => new SnapshotView(await loadTree(options.source), options.source),
})
`,
    'src/source-tree.ts': `import { lstat, readdir, readlink } from 'node:fs/promises'
import { join } from 'node:path'
import { FileType, type Stat, type Timespec } from '@fusekit/core'

/** A node of the view: its node id, its attributes, and where its bytes or entries come from. */
export interface SourceNode {
  /** The node id the kernel uses (1 for the root), also shown as st_ino. */
  ino: number
  attr: Stat
  /** The source file its bytes are read from. */
  path: string
  /** A directory's entries by name, and its parent (the root is its own). */
  children?: Map<string, SourceNode>
  parent?: SourceNode
  /** A symlink's target. */
  target?: string
}

const timespec = (ns: bigint): Timespec => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) })

/**
 * Reads the names, attributes and link targets under \`root\` (the files' bytes stay where they
 * are). Names of one source inode become one node: hard links stay hard links.
 */
export async function loadTree(root: string): Promise<SourceNode> {
  const bySourceInode = new Map<string, SourceNode>()
  let lastIno = 0
  const visit = async (path: string, parent?: SourceNode): Promise<SourceNode> => {
    const s = await lstat(path, { bigint: true })
    const key = \`\${s.dev}:\${s.ino}\`
    const known = bySourceInode.get(key)
    if (known) return known
    const ino = ++lastIno
    const attr: Stat = {
      ino, mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid), gid: Number(s.gid), rdev: 0, size: Number(s.size),
      blksize: 4096, blocks: Number(s.blocks), atime: timespec(s.atimeNs), mtime: timespec(s.mtimeNs), ctime: timespec(s.ctimeNs),
    }
    const node: SourceNode = { ino, attr, path }
    bySourceInode.set(key, node)
    const type = attr.mode & FileType.S_IFMT
    if (type === FileType.S_IFLNK) node.target = await readlink(path)
    if (type === FileType.S_IFDIR) {
      node.parent = parent ?? node
      node.children = new Map()
      for (const name of await readdir(path)) node.children.set(name, await visit(join(path, name), node))
    }
    return node
  }
  return visit(root)
}
`,
    'src/snapshot-view.ts': `import { open, statfs, type FileHandle } from 'node:fs/promises'
import { FileType, FsError, OpenFlags, type Entry, type InodeDirEntry, type InodeOperations, type RequestContext, type Stat, type StatVfs } from '@fusekit/core'
import type { SourceNode } from './source-tree.js'

/**
 * The inode-layer operations of the view. Every node lives as long as the mount, so there is no
 * forget: the kernel's lookups of a node need no counting. Failures are FsError(errno); anything else thrown reaches the caller as EIO.
 * Operations left out get the kernel's default: a read-only mount never asks for a change.
 */
export class SnapshotView implements InodeOperations {
  private readonly nodes = new Map<number, SourceNode>()
  /** Open source files by handle (the descriptor number). */
  private readonly files = new Map<number, FileHandle>()

  constructor(
    root: SourceNode,
    private readonly source: string,
  ) {
    const index = (node: SourceNode): void => {
      this.nodes.set(node.ino, node)
      for (const child of node.children?.values() ?? []) if (!this.nodes.has(child.ino)) index(child)
    }
    index(root)
  }

  async lookup(_ctx: RequestContext, parent: number, name: string): Promise<Entry> {
    if (Buffer.byteLength(name) > 255) throw new FsError('ENAMETOOLONG')
    const child = this.directory(parent).get(name)
    if (!child) throw new FsError('ENOENT')
    return { ino: child.ino, attr: child.attr }
  }

  async getattr(_ctx: RequestContext, ino: number): Promise<Stat> {
    return this.node(ino).attr
  }

  async readlink(_ctx: RequestContext, ino: number): Promise<string> {
    const { target } = this.node(ino)
    if (target === undefined) throw new FsError('EINVAL')
    return target
  }

  async open(_ctx: RequestContext, ino: number, flags: number): Promise<number> {
    if ((flags & OpenFlags.O_ACCMODE) !== OpenFlags.O_RDONLY) throw new FsError('EROFS')
    const file = await open(this.node(ino).path, 'r')
    this.files.set(file.fd, file)
    return file.fd
  }

  async read(_ctx: RequestContext, _ino: number, fh: number, buffer: Buffer, position: number): Promise<number> {
    return (await this.file(fh).read(buffer, 0, buffer.length, position)).bytesRead
  }

  /** Reads are plain pread on the source file: the low-level driver (or the kernel) can do them without us. */
  backingFd(fh: number): number | undefined {
    return this.files.get(fh)?.fd
  }

  async release(_ctx: RequestContext, _ino: number, fh: number): Promise<void> {
    await this.files.get(fh)?.close()
    this.files.delete(fh)
  }

  async readdir(_ctx: RequestContext, ino: number, _fh: number, offset: number, withStats: boolean): Promise<Iterable<InodeDirEntry>> {
    const node = this.node(ino)
    const entries: Array<[string, SourceNode]> = [['.', node], ['..', node.parent ?? node], ...this.directory(ino)]
    // From \`offset\`, the number of entries already read; an entry with stats counts a lookup (never "." and "..").
    return entries.slice(offset).map(([name, entry], i) => ({
      name,
      ino: entry.ino,
      type: entry.attr.mode & FileType.S_IFMT,
      entry: withStats && offset + i >= 2 ? { ino: entry.ino, attr: entry.attr } : undefined,
    }))
  }

  async statfs(): Promise<StatVfs> {
    const s = await statfs(this.source)
    return { bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: 0, bavail: 0, files: s.files, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.files.values()].map((file) => file.close()))
  }

  private node(ino: number): SourceNode {
    const node = this.nodes.get(ino)
    if (!node) throw new FsError('ESTALE')
    return node
  }

  private directory(ino: number): Map<string, SourceNode> {
    const { children } = this.node(ino)
    if (!children) throw new FsError('ENOTDIR')
    return children
  }

  private file(fh: number): FileHandle {
    const file = this.files.get(fh)
    if (!file) throw new FsError('EBADF')
    return file
  }
}
`,
  }
}
