import { ROOT_INO, OpenFlags, orThrow, type Entry, type RequestContext } from '@fusekit/core'
import type { PassthroughInodes } from '../src/passthrough.js'
import { asRoot } from './helpers.js'

/**
 * Reaches the backend's nodes by path the way the kernel walks one: a lookup per name from the
 * root. The node a walk ends on keeps its lookup; the ones passed on the way are forgotten.
 */
export class PathWalker {
  constructor(
    readonly ops: PassthroughInodes,
    readonly ctx: RequestContext = asRoot,
  ) {}

  /** The Entry of `path` ("/" is the root, whose lookups are not counted). */
  async entry(path: string): Promise<Entry> {
    const names = path.split('/').filter((n) => n !== '')
    if (names.length === 0) return { ino: ROOT_INO, attr: await this.ops.getattr(this.ctx, ROOT_INO) }
    const parent = await this.node(names.slice(0, -1).join('/'))
    try {
      return orThrow(await this.ops.lookup(this.ctx, parent, names.at(-1)!))
    } finally {
      this.ops.forget(parent, 1)
    }
  }

  async node(path: string): Promise<number> {
    return (await this.entry(path)).ino
  }

  /** The node of the directory holding `path`, and its last name. */
  async parent(path: string): Promise<[number, string]> {
    const slash = path.lastIndexOf('/')
    return [await this.node(path.slice(0, slash)), path.slice(slash + 1)]
  }

  /** Creates `path` with `data` through create/write/release. */
  async write(path: string, data: string, mode = 0o644): Promise<Entry> {
    const [parent, name] = await this.parent(path)
    const created = await this.ops.create(this.ctx, parent, name, mode, OpenFlags.O_RDWR | OpenFlags.O_CREAT)
    await this.ops.write(this.ctx, created.ino, created.fh, Buffer.from(data), 0)
    await this.ops.release(this.ctx, created.ino, created.fh)
    return created
  }

  /** The whole content of `path` through open/read/release. */
  async read(path: string): Promise<string> {
    const ino = await this.node(path)
    const fh = await this.ops.open(this.ctx, ino, OpenFlags.O_RDONLY)
    const buffer = Buffer.alloc(1 << 16)
    const count = await this.ops.read(this.ctx, ino, fh, buffer, 0)
    await this.ops.release(this.ctx, ino, fh)
    return buffer.subarray(0, count).toString()
  }

  /** The names in the directory `path`, "." and ".." left out, sorted. */
  async names(path: string): Promise<string[]> {
    const listing = await this.ops.readdir(this.ctx, await this.node(path), 0, 0, false)
    return [...listing].map((e) => e.name).filter((n) => n !== '.' && n !== '..').sort()
  }
}
