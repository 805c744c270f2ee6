import { closeSync } from 'node:fs'
import { Errno, FsError, ROOT_INO } from '@fusekit/core'
import type { DirectoryStream } from './directory-stream.js'
import { calls, check } from './source-calls.js'
import { fileType, inodeKey, statFields } from './stat.js'

/** One inode of the source that the kernel knows, under the node id handed to it. */
export interface SourceNode {
  readonly id: number
  /** An O_PATH descriptor of the inode (a symlink as the link): every call on the node goes through it. */
  readonly fd: number
  /** The S_IFMT bits: an inode's type never changes. */
  readonly type: number
  /** Its st_ino, as shown. */
  readonly ino: number
  /** (st_dev, st_ino), exactly. */
  readonly key: string
  /** Lookups the kernel holds (each Entry handed out counts one). */
  lookups: number
  /** The listing of this directory that holds a descriptor for reading it, if any. */
  listing?: DirectoryStream
  /** Set when the node is gone: its descriptor number may belong to another file by now. */
  closed?: boolean
}

/**
 * The source's inodes the kernel holds, as libfuse's passthrough_hp keeps them: one node per
 * source inode, found by (st_dev, st_ino) whatever name led to it (the names of a hard-linked
 * file are one kernel inode), holding one O_PATH descriptor from the first lookup until the
 * kernel forgets the last. Node ids are ours, counted from ROOT_INO and never reused, so no
 * generation is needed. Nothing is reached by path: a node stays the inode it was opened on
 * wherever it is renamed.
 */
export class SourceNodes {
  readonly root: SourceNode
  private readonly byId = new Map<number, SourceNode>()
  private readonly byInode = new Map<string, SourceNode>()
  private nextId = ROOT_INO + 1

  /** Opens the source directory (its real path) as the root node, held until closeAll. */
  static open(source: string): SourceNodes {
    const fd = calls.openSource(source, statFields)
    if (fd === -Errno.ENOSYS) throw new FsError('ENOSYS', 'the passthrough backend needs openat2(2): Linux 5.6 or later')
    return new SourceNodes(check(fd), statFields)
  }

  private constructor(rootFd: number, fields: Float64Array) {
    this.root = this.add(ROOT_INO, rootFd, fields)
  }

  /** The node the kernel calls `id`; ESTALE for one it was never given or has forgotten. */
  get(id: number): SourceNode {
    const node = this.byId.get(id)
    if (node === undefined) throw new FsError('ESTALE', `no node ${id}`)
    return node
  }

  /**
   * Counts a lookup of the inode an O_PATH descriptor was just opened on (its stat in `fields`):
   * its node when it has one (the descriptor is closed), else a new node holding the descriptor.
   */
  adopt(fd: number, fields: Float64Array): SourceNode {
    const known = this.byInode.get(inodeKey(fields))
    if (known === undefined) return this.add(this.nextId++, fd, fields)
    closeSync(fd)
    known.lookups++
    return known
  }

  /** Counts another lookup of a node (a new name for it). */
  hold(node: SourceNode): SourceNode {
    node.lookups++
    return node
  }

  /** The kernel gave back `count` lookups of `id`; at none, the node and its descriptors go. */
  forget(id: number, count: number): void {
    const node = this.byId.get(id)
    // The root lives as long as the mount, whatever the kernel counts.
    if (node === undefined || node === this.root) return
    node.lookups -= count
    if (node.lookups <= 0) this.close(node)
  }

  /** Every node goes (the mount is gone). */
  closeAll(): void {
    for (const node of this.byId.values()) this.close(node)
  }

  private add(id: number, fd: number, fields: Float64Array): SourceNode {
    const node: SourceNode = { id, fd, type: fileType(fields), ino: fields[0]!, key: inodeKey(fields), lookups: 1 }
    this.byId.set(id, node)
    this.byInode.set(node.key, node)
    return node
  }

  private close(node: SourceNode): void {
    node.closed = true
    this.byId.delete(node.id)
    this.byInode.delete(node.key)
    node.listing?.release()
    closeSync(node.fd)
  }
}
