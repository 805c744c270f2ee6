import type { SourceNode } from './source-nodes.js'

/** A name that leads to a node: `name` in the directory node `dir`. */
export interface NodeName {
  readonly dir: SourceNode
  readonly name: string
}

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
 * The names through the mount that lead to each node, both ways: a node's `names`, and a
 * directory's `entries` by name. What the kernel looked up, made, linked or renamed to is
 * recorded; what was unlinked or renamed away is dropped, so that each name recorded led to its
 * node when last seen. (A change made directly in the source is found when a name is tried.)
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
    if (node.names.length > 0) {
      node.names.push({ dir, name })
    } else {
      // A literal of one: a push into an empty array reserves 17 slots, 136 bytes more a node.
      node.names = [{ dir, name }]
      this.events.named(node)
    }
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
  removeAll(node: SourceNode): SourceNode[] {
    const dirs = node.names.map(({ dir, name }) => {
      dir.entries!.delete(name)
      return dir
    })
    node.names = []
    return dirs
  }

  private drop(node: SourceNode, dir: SourceNode, name: string): void {
    node.names.splice(node.names.findIndex((n) => n.dir === dir && n.name === name), 1)
    if (node.names.length === 0) this.events.unnamed(node)
  }
}
