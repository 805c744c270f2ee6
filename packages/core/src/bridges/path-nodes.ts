import { ROOT_INO } from '../inode-operations.js'

interface Node {
  parent: number
  name: string
  /** Lookups the kernel holds; the node goes when FORGET brings this to 0. */
  lookups: number
  /** Set once the name is gone (unlink, rmdir, replaced by rename): the path it had then. */
  detachedPath?: string
}

/**
 * The path bridge's nodes: node ids the kernel knows, and the paths they stand for. A node is one
 * name (as in libfuse's high-level API); a rename moves the node, so every path below a renamed
 * directory follows. An unlinked node keeps its last path and works on through its open handles.
 */
export class PathNodes {
  private readonly nodes = new Map<number, Node>([[ROOT_INO, { parent: 0, name: '', lookups: 1 }]])
  private readonly byName = new Map<string, number>()
  private nextId = ROOT_INO + 1

  /** The path of a node, or undefined for an id the kernel should not have. */
  path(id: number): string | undefined {
    if (id === ROOT_INO) return '/'
    let node = this.nodes.get(id)
    if (!node) return undefined
    if (node.detachedPath !== undefined) return node.detachedPath
    const names: string[] = []
    while (node && node.parent !== 0) {
      names.push(node.name)
      if (node.parent === ROOT_INO) return '/' + names.reverse().join('/')
      node = this.nodes.get(node.parent)
      if (node?.detachedPath !== undefined) return node.detachedPath + '/' + names.reverse().join('/')
    }
    return undefined
  }

  /** A child's path (for requests that name an entry of a directory node). */
  childPath(parent: number, name: string): string | undefined {
    const dir = this.path(parent)
    if (dir === undefined) return undefined
    return dir === '/' ? '/' + name : dir + '/' + name
  }

  /** Whether the node's name is gone (unlinked, removed or replaced). */
  isDetached(id: number): boolean {
    return this.nodes.get(id)?.detachedPath !== undefined
  }

  /** Counts one more kernel lookup of `parent/name`, creating its node if needed. */
  lookup(parent: number, name: string): number {
    const key = nameKey(parent, name)
    const existing = this.byName.get(key)
    if (existing !== undefined) {
      const node = this.nodes.get(existing) as Node
      node.lookups++
      return existing
    }
    const id = this.nextId++
    this.nodes.set(id, { parent, name, lookups: 1 })
    this.byName.set(key, id)
    return id
  }

  /** The kernel dropped `count` lookups of a node; true when the node is gone. */
  forget(id: number, count: number): boolean {
    const node = this.nodes.get(id)
    if (!node || id === ROOT_INO) return false
    node.lookups -= count
    if (node.lookups > 0) return false
    this.nodes.delete(id)
    const key = nameKey(node.parent, node.name)
    if (node.detachedPath === undefined && this.byName.get(key) === id) this.byName.delete(key)
    return true
  }

  /** The name `parent/name` is gone; a node that had it keeps its last path. */
  remove(parent: number, name: string): void {
    const key = nameKey(parent, name)
    const id = this.byName.get(key)
    if (id === undefined) return
    const node = this.nodes.get(id) as Node
    node.detachedPath = this.path(id)
    this.byName.delete(key)
  }

  /** `from` was renamed to `to`: the node (and everything below it) moves, a replaced one is detached. */
  rename(fromParent: number, fromName: string, toParent: number, toName: string): void {
    const fromKey = nameKey(fromParent, fromName)
    const id = this.byName.get(fromKey)
    this.remove(toParent, toName)
    if (id === undefined) return
    this.byName.delete(fromKey)
    this.place(id, toParent, toName)
  }

  /** RENAME_EXCHANGE: the two names swap their nodes. */
  exchange(parentA: number, nameA: string, parentB: number, nameB: string): void {
    const keyA = nameKey(parentA, nameA)
    const keyB = nameKey(parentB, nameB)
    const a = this.byName.get(keyA)
    const b = this.byName.get(keyB)
    this.byName.delete(keyA)
    this.byName.delete(keyB)
    if (a !== undefined) this.place(a, parentB, nameB)
    if (b !== undefined) this.place(b, parentA, nameA)
  }

  private place(id: number, parent: number, name: string): void {
    const node = this.nodes.get(id) as Node
    node.parent = parent
    node.name = name
    this.byName.set(nameKey(parent, name), id)
  }

  /** How many nodes the kernel holds (for tests). */
  get size(): number {
    return this.nodes.size
  }
}

function nameKey(parent: number, name: string): string {
  return parent + '/' + name
}
