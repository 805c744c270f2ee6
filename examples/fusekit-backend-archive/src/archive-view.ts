import { open, type FileHandle } from 'node:fs/promises'
import { FileType, FsError, OpenFlags, type Entry, type InodeDirEntry, type InodeOperations, type RequestContext, type Stat, type StatVfs } from '@fusekit/core'
import { readArchiveTree, type ArchiveNode, type ArchiveTree } from './archive-tree.js'

/**
 * The archive's tree on the inode layer, read-only. Reads are served by offset from the archive
 * file, nothing is extracted. Every node lives as long as the mount, so lookups need no counting
 * (no forget); a hard link is one node, so the kernel sees one inode. Failures are FsError(errno).
 */
export class ArchiveView implements InodeOperations {
  private constructor(
    private readonly archive: FileHandle,
    private readonly size: number,
    private readonly tree: ArchiveTree,
  ) {}

  /** Opens the archive and reads its headers; the view keeps it open until destroy. */
  static async open(path: string): Promise<ArchiveView> {
    const archive = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      throw new FsError(error.code === 'ENOENT' ? 'ENOENT' : 'EIO', `cannot open the archive ${path}: ${error.message}`)
    })
    try {
      if (!(await archive.stat()).isFile()) throw new FsError('EINVAL', `${path} is not a file`)
      return new ArchiveView(archive, (await archive.stat()).size, await readArchiveTree(archive))
    } catch (error) {
      await archive.close()
      throw error
    }
  }

  /** Members the view leaves out, each with why (for a warning at mount). */
  get skipped(): readonly string[] {
    return this.tree.skipped
  }

  async lookup(_ctx: RequestContext, parent: number, name: string): Promise<Entry> {
    if (Buffer.byteLength(name) > 255) throw new FsError('ENAMETOOLONG')
    const child = this.entries(parent).get(name)
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

  /** Nothing to open: every read goes to the one archive descriptor (handle 0). */
  async open(_ctx: RequestContext, ino: number, flags: number): Promise<void> {
    if ((flags & OpenFlags.O_ACCMODE) !== OpenFlags.O_RDONLY) throw new FsError('EROFS')
    if (this.node(ino).children) throw new FsError('EISDIR')
  }

  async read(_ctx: RequestContext, ino: number, _fh: number, buffer: Buffer, position: number): Promise<number> {
    const { attr, dataOffset } = this.node(ino)
    const count = Math.max(0, Math.min(buffer.length, attr.size - position))
    if (count === 0) return 0
    const { bytesRead } = await this.archive.read(buffer, 0, count, dataOffset + position)
    if (bytesRead < count) throw new FsError('EIO', `the archive is shorter than its headers say (${attr.size} bytes at ${dataOffset})`)
    return bytesRead
  }

  async readdir(_ctx: RequestContext, ino: number, _fh: number, offset: number, withStats: boolean): Promise<Iterable<InodeDirEntry>> {
    const dir = this.node(ino)
    const listing: Array<[string, ArchiveNode]> = [['.', dir], ['..', dir.parent ?? dir], ...this.entries(ino)]
    // `offset` entries were read already; an entry with stats counts a lookup (never . and ..).
    return listing.slice(offset).map(([name, node], i) => ({
      name,
      ino: node.ino,
      type: node.attr.mode & FileType.S_IFMT,
      entry: withStats && offset + i >= 2 ? { ino: node.ino, attr: node.attr } : undefined,
    }))
  }

  async statfs(): Promise<StatVfs> {
    const blocks = Math.ceil(this.size / 4096)
    return { bsize: 4096, frsize: 4096, blocks, bfree: 0, bavail: 0, files: this.tree.nodes.size, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: 255 }
  }

  async destroy(): Promise<void> {
    await this.archive.close()
  }

  private node(ino: number): ArchiveNode {
    const node = this.tree.nodes.get(ino)
    if (!node) throw new FsError('ESTALE')
    return node
  }

  private entries(ino: number): Map<string, ArchiveNode> {
    const { children } = this.node(ino)
    if (!children) throw new FsError('ENOTDIR')
    return children
  }
}
