/** The generated sources of a path-layer backend: a read-write tree held in memory. */
export function pathLayerSources(name: string): Record<string, string> {
  return {
    'src/index.ts': `import { defineBackend } from '@fusekit/core'
import { z } from 'zod'
import { MemoryTree } from './memory-tree.js'

/** The options, as \`fusekit mount ${name} <mountpoint> --greeting hi\` takes them (see --help). */
export const options = z.object({
  greeting: z.string().default('Hello from ${name}!').describe('What README.txt at the root says'),
})

/**
 * The backend: what \`fusekit mount ${name}\` loads from this package. A path-layer backend gets
 * each request by path ("/dir/file"); fusekit keeps the table of nodes the kernel knows.
 */
export default defineBackend({
  apiVersion: 2,
  layer: 'path',
  name: '${name}',
  description: 'A read-write tree held in memory, gone at unmount',
  options,
  create: ({ options }) => new MemoryTree(options.greeting),
})
`,
    'src/node.ts': `import { FileType, Timespec, type Stat } from '@fusekit/core'

/** A file, directory or symlink of the tree. */
export class Node {
  /** Names in a directory. */
  readonly children = new Map<string, Node>()
  /** A file's bytes; the buffer grows ahead of \`size\`. */
  private data = Buffer.alloc(0)
  size = 0
  /** A symlink's target. */
  target = ''
  nlink: number
  atime = Timespec.now()
  mtime = this.atime
  ctime = this.atime

  constructor(
    readonly ino: number,
    public mode: number,
    public uid: number,
    public gid: number,
  ) {
    this.nlink = this.isDirectory ? 2 : 1
  }

  get isDirectory(): boolean {
    return (this.mode & FileType.S_IFMT) === FileType.S_IFDIR
  }

  get isSymlink(): boolean {
    return (this.mode & FileType.S_IFMT) === FileType.S_IFLNK
  }

  stat(): Stat {
    const { ino, mode, nlink, uid, gid, size, atime, mtime, ctime } = this
    return { ino, mode, nlink, uid, gid, rdev: 0, size, blksize: 4096, blocks: Math.ceil(size / 512), atime, mtime, ctime }
  }

  /** Its attributes changed (chmod, chown, rename, link count). */
  changed(): void {
    this.ctime = Timespec.now()
  }

  /** Its contents changed (a write, a new size, an entry made or removed): mtime and ctime, one instant. */
  modified(): void {
    this.mtime = this.ctime = Timespec.now()
  }

  read(buffer: Buffer, position: number): number {
    const count = Math.max(0, Math.min(buffer.length, this.size - position))
    if (count > 0) this.data.copy(buffer, 0, position, position + count)
    return count
  }

  write(buffer: Buffer, position: number): number {
    this.reserve(position + buffer.length)
    buffer.copy(this.data, position)
    this.size = Math.max(this.size, position + buffer.length)
    this.modified()
    return buffer.length
  }

  truncate(size: number): void {
    this.reserve(size)
    // Bytes cut off must read as zeros if the file grows again.
    if (size < this.size) this.data.fill(0, size, this.size)
    this.size = size
    this.modified()
  }

  /** Doubles the buffer as needed, so that a file written piece by piece is copied O(log n) times. */
  private reserve(size: number): void {
    if (size <= this.data.length) return
    const grown = Buffer.alloc(Math.max(size, this.data.length * 2))
    this.data.copy(grown, 0, 0, this.size)
    this.data = grown
  }
}
`,
    'src/memory-tree.ts': `import { FileType, FsError, OpenFlags, type DirEntry, type Operations, type RequestContext, type Stat, type StatVfs, type Timespec } from '@fusekit/core'
import { Node } from './node.js'

const { S_IFDIR, S_IFREG, S_IFLNK } = FileType
const S_ISGID = 0o2000
/** chown's "leave this id as it is". */
const UNCHANGED = [-1, 0xffff_ffff]

/**
 * The path-layer operations over a tree held in memory. Paths never hold a symlink but as their
 * last name: the kernel follows links itself. Failures are FsError(errno); anything else thrown
 * reaches the caller as EIO. Operations left out get the kernel's default (ENOSYS for link,
 * EOPNOTSUPP for xattrs): add them to do more.
 */
export class MemoryTree implements Operations {
  private readonly root: Node
  private lastIno = 1
  /** Open files by handle: a file keeps working through them after its last name is gone. */
  private readonly handles = new Map<number, Node>()
  private lastHandle = 0

  constructor(greeting: string) {
    this.root = new Node(1, S_IFDIR | 0o755, process.getuid?.() ?? 0, process.getgid?.() ?? 0)
    const readme = this.add(this.root, 'README.txt', S_IFREG | 0o644, this.root.uid, this.root.gid)
    readme.write(Buffer.from(greeting + '\\n'), 0)
  }

  async getattr(_ctx: RequestContext, path: string, fh?: number): Promise<Stat> {
    return this.target(path, fh).stat()
  }

  async readdir(_ctx: RequestContext, path: string): Promise<DirEntry[]> {
    const dir = this.find(path)
    if (!dir.isDirectory) throw new FsError('ENOTDIR')
    return [...dir.children].map(([name, node]) => ({ name, stat: node.stat() }))
  }

  async mkdir(ctx: RequestContext, path: string, mode: number): Promise<void> {
    this.make(ctx, path, S_IFDIR | (mode & 0o7777))
  }

  async create(ctx: RequestContext, path: string, mode: number): Promise<number> {
    return this.opened(this.make(ctx, path, S_IFREG | (mode & 0o7777)))
  }

  async open(_ctx: RequestContext, path: string, flags: number): Promise<number> {
    const node = this.find(path)
    if (flags & OpenFlags.O_TRUNC) node.truncate(0)
    return this.opened(node)
  }

  async read(_ctx: RequestContext, _path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    return this.handle(fh).read(buffer, position)
  }

  async write(_ctx: RequestContext, _path: string, fh: number, buffer: Buffer, position: number): Promise<number> {
    return this.handle(fh).write(buffer, position)
  }

  async release(_ctx: RequestContext, _path: string, fh: number): Promise<void> {
    this.handles.delete(fh)
  }

  async truncate(_ctx: RequestContext, path: string, size: number, fh?: number): Promise<void> {
    this.target(path, fh).truncate(size)
  }

  async chmod(_ctx: RequestContext, path: string, mode: number, fh?: number): Promise<void> {
    const node = this.target(path, fh)
    node.mode = (node.mode & FileType.S_IFMT) | (mode & 0o7777)
    node.changed()
  }

  async chown(_ctx: RequestContext, path: string, uid: number, gid: number, fh?: number): Promise<void> {
    const node = this.target(path, fh)
    if (!UNCHANGED.includes(uid)) node.uid = uid
    if (!UNCHANGED.includes(gid)) node.gid = gid
    node.changed()
  }

  async utimens(_ctx: RequestContext, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, fh?: number): Promise<void> {
    const node = this.target(path, fh)
    if (atime) node.atime = atime
    if (mtime) node.mtime = mtime
    node.changed()
  }

  async symlink(ctx: RequestContext, target: string, path: string): Promise<void> {
    const node = this.make(ctx, path, S_IFLNK | 0o777)
    node.target = target
    node.size = Buffer.byteLength(target)
  }

  async readlink(_ctx: RequestContext, path: string): Promise<string> {
    const node = this.find(path)
    if (!node.isSymlink) throw new FsError('EINVAL')
    return node.target
  }

  async unlink(_ctx: RequestContext, path: string): Promise<void> {
    const [parent, name, node] = this.entry(path)
    if (node.isDirectory) throw new FsError('EISDIR')
    this.remove(parent, name, node)
  }

  async rmdir(_ctx: RequestContext, path: string): Promise<void> {
    const [parent, name, node] = this.entry(path)
    if (!node.isDirectory) throw new FsError('ENOTDIR')
    if (node.children.size > 0) throw new FsError('ENOTEMPTY')
    this.remove(parent, name, node)
  }

  async rename(_ctx: RequestContext, from: string, to: string, flags: number): Promise<void> {
    // RENAME_NOREPLACE and RENAME_EXCHANGE are not done here: the contract says EINVAL.
    if (flags !== 0) throw new FsError('EINVAL')
    const [fromParent, fromName, node] = this.entry(from)
    const [toParent, toName] = this.parentOf(to)
    const replaced = toParent.children.get(toName)
    if (replaced === node) return
    if (node.isDirectory && (to + '/').startsWith(from + '/')) throw new FsError('EINVAL')
    if (replaced) {
      if (node.isDirectory && !replaced.isDirectory) throw new FsError('ENOTDIR')
      if (!node.isDirectory && replaced.isDirectory) throw new FsError('EISDIR')
      if (replaced.children.size > 0) throw new FsError('ENOTEMPTY')
      this.remove(toParent, toName, replaced)
    }
    fromParent.children.delete(fromName)
    toParent.children.set(toName, node)
    if (node.isDirectory) {
      fromParent.nlink--
      toParent.nlink++
    }
    fromParent.modified()
    toParent.modified()
    node.changed()
  }

  async statfs(): Promise<StatVfs> {
    // No limit but the machine's memory: a fixed size, all of it free.
    const blocks = 1 << 20
    return { bsize: 4096, frsize: 4096, blocks, bfree: blocks, bavail: blocks, files: 1 << 20, ffree: 1 << 20, favail: 1 << 20, fsid: 0, flag: 0, namemax: 255 }
  }

  /** The node of an open handle when the request came through one, else of the path. */
  private target(path: string, fh: number | undefined): Node {
    return fh ? this.handle(fh) : this.find(path)
  }

  private handle(fh: number): Node {
    const node = this.handles.get(fh)
    if (!node) throw new FsError('EBADF')
    return node
  }

  private opened(node: Node): number {
    this.handles.set(++this.lastHandle, node)
    return this.lastHandle
  }

  /** The node at a path; ENOENT, ENOTDIR and ENAMETOOLONG as the kernel expects them. */
  private find(path: string): Node {
    let node = this.root
    for (const name of names(path)) {
      if (!node.isDirectory) throw new FsError('ENOTDIR')
      const child = node.children.get(name)
      if (!child) throw new FsError('ENOENT')
      node = child
    }
    return node
  }

  /** The directory a path's last name goes in, and that name. */
  private parentOf(path: string): [Node, string] {
    const all = names(path)
    const name = all.pop()
    if (name === undefined) throw new FsError('EBUSY')
    const parent = this.find('/' + all.join('/'))
    if (!parent.isDirectory) throw new FsError('ENOTDIR')
    return [parent, name]
  }

  private entry(path: string): [Node, string, Node] {
    const [parent, name] = this.parentOf(path)
    const node = parent.children.get(name)
    if (!node) throw new FsError('ENOENT')
    return [parent, name, node]
  }

  /** A new node owned by the caller (or the group of a setgid directory, whose subdirectories stay setgid). */
  private make(ctx: RequestContext, path: string, mode: number): Node {
    const [parent, name] = this.parentOf(path)
    if (parent.children.has(name)) throw new FsError('EEXIST')
    const inherits = (parent.mode & S_ISGID) !== 0
    return this.add(parent, name, inherits && (mode & FileType.S_IFMT) === S_IFDIR ? mode | S_ISGID : mode, ctx.uid, inherits ? parent.gid : ctx.gid)
  }

  private add(parent: Node, name: string, mode: number, uid: number, gid: number): Node {
    const node = new Node(++this.lastIno, mode, uid, gid)
    parent.children.set(name, node)
    if (node.isDirectory) parent.nlink++
    parent.modified()
    return node
  }

  private remove(parent: Node, name: string, node: Node): void {
    parent.children.delete(name)
    if (node.isDirectory) parent.nlink--
    // Open handles keep it; fstat shows it has no name left.
    node.nlink = 0
    node.changed()
    parent.modified()
  }
}

/** The names of a path, each checked against the 255-byte limit of a name. */
function names(path: string): string[] {
  const all = path.split('/').filter((name) => name !== '')
  if (all.some((name) => Buffer.byteLength(name) > 255)) throw new FsError('ENAMETOOLONG')
  return all
}
`,
  }
}
