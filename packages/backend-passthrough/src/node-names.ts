import type { SourceNode } from './source-nodes.js'

/** A name that leads to a node: `name` in the directory node `dir`. */
export interface NodeName {
  readonly dir: SourceNode
  readonly name: string
}

/**
 * The names NodeNames keeps on a node: its newest inline (most nodes have one name, and an object
 * and an array more per node were a third of a node's heap), the older ones of a hard link beside.
 */
export interface NamedNode {
  /** The directory of its newest name; undefined while it has none. */
  dir: SourceNode | undefined
  /** Its newest name ('' while it has none). */
  name: string
  /** Its other names, oldest first. */
  olderNames: NodeName[] | undefined
}

const NO_DIRECTORIES: readonly SourceNode[] = []
const NO_NAMES: readonly NodeName[] = []

/** What a change of names means for the nodes (SourceNodes' business). */
export interface NameEvents {
  /** `node` got its first name: it can be reopened by it now. */
  named(node: SourceNode): void
  /** `node` lost its last name: nothing reopens it any more. */
  unnamed(node: SourceNode): void
  /** `dir` leads to one node fewer: it may not be needed any more. */
  unused(dir: SourceNode): void
}

/**
 * The names through the mount that lead to each node, both ways: a node's names, and a
 * directory's `entries` by name. What the kernel looked up, made, linked or renamed to is
 * recorded; what was unlinked or renamed away is dropped, so that each name recorded led to its
 * node when last seen. (A change made directly in the source is found when a name is tried.)
 * A node's names are numbered oldest first, from 0 to count - 1 (its newest).
 */
export class NodeNames {
  constructor(private readonly events: NameEvents) {}

  /** `name` in `dir` leads to `node` (and so no longer to another node). */
  add(node: SourceNode, dir: SourceNode, name: string): void {
    const entries = (dir.entries ??= new Map())
    const previous = entries.get(name)
    if (previous === node) return
    if (previous) this.drop(previous, dir, name)
    entries.set(name, node)
    if (node.dir === undefined) {
      node.dir = dir
      node.name = name
      this.events.named(node)
      return
    }
    ;(node.olderNames ??= []).push({ dir: node.dir, name: node.name })
    node.dir = dir
    node.name = name
  }

  /** `name` in `dir` leads nowhere known any more. */
  remove(dir: SourceNode, name: string): void {
    const node = dir.entries?.get(name)
    if (node === undefined) return
    dir.entries!.delete(name)
    this.drop(node, dir, name)
    this.events.unused(dir)
  }

  /** Drops every name of a node that is gone; answers the directories they were in. */
  removeAll(node: SourceNode): readonly SourceNode[] {
    if (node.dir === undefined) return NO_DIRECTORIES
    node.dir.entries!.delete(node.name)
    const dirs = [node.dir]
    for (const { dir, name } of node.olderNames ?? NO_NAMES) {
      dir.entries!.delete(name)
      dirs.push(dir)
    }
    node.dir = undefined
    node.name = ''
    node.olderNames = undefined
    return dirs
  }

  count(node: SourceNode): number {
    return node.dir === undefined ? 0 : 1 + (node.olderNames?.length ?? 0)
  }

  /** The directory of `node`'s name number `i`. */
  dirAt(node: SourceNode, i: number): SourceNode {
    return i === (node.olderNames?.length ?? 0) ? node.dir! : node.olderNames![i]!.dir
  }

  /** `node`'s name number `i`. */
  nameAt(node: SourceNode, i: number): string {
    return i === (node.olderNames?.length ?? 0) ? node.name : node.olderNames![i]!.name
  }

  private drop(node: SourceNode, dir: SourceNode, name: string): void {
    const older = node.olderNames
    if (node.dir === dir && node.name === name) {
      const newest = older?.pop()
      node.dir = newest?.dir
      node.name = newest?.name ?? ''
      if (older?.length === 0) node.olderNames = undefined
      if (newest === undefined) this.events.unnamed(node)
      return
    }
    const at = older?.findIndex((n) => n.dir === dir && n.name === name) ?? -1
    if (at < 0) return
    older!.splice(at, 1)
    if (older!.length === 0) node.olderNames = undefined
  }
}
