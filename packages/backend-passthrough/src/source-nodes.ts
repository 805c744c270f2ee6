import { closeSync } from 'node:fs'
import { Errno, FileType, FsError, RenameFlags, ROOT_INO, type DirectoryRemovals } from '@fusekit/core'
import { DescriptorLru, type LruLinks } from './descriptor-lru.js'
import type { DirectoryStream } from './directory-stream.js'
import { NodeNames, type NamedNode } from './node-names.js'
import { calls, check } from './source-calls.js'
import { deviceOf, fileType, inodeKey, inodeNumber } from './stat.js'

/** A node's `fd` while the budget has its descriptor closed. */
const CLOSED = -1
/** A node's `listedAt` before any listing gave it: long ago, and a small integer as the others are. */
const NEVER_LISTED = -(2 ** 30)
/** Where reopening a node reads the stat that proves it found the same inode. */
const reopenFields = new Float64Array(18)
/**
 * Listings holding a descriptor and a 32 KiB batch at once, at most: a walk has one per level it
 * is in (rm's first pass stops short in each), and programs that read a directory's first entries
 * only (`ls | head`, `find -empty`) left one per directory for as long as the node lived.
 */
export const OPEN_LISTINGS = 64

/** One inode of the source that the kernel knows, under the node id handed to it. */
export interface SourceNode extends LruLinks<SourceNode>, NamedNode {
  readonly id: number
  /**
   * Its O_PATH descriptor (a symlink as the link), or CLOSED while the descriptor budget has it
   * closed: calls reach it through SourceNodes.fd, which reopens it.
   */
  fd: number
  /** The S_IFMT bits: an inode's type never changes. */
  readonly type: number
  /** Its st_ino, as shown. */
  readonly ino: number
  /** (st_dev, st_ino), exactly (inodeKey). */
  readonly key: number | string
  /** Lookups the kernel holds (each Entry handed out counts one). */
  lookups: number
  /** For a directory: the nodes its names lead to. They keep it, so that they can be reopened beneath it. */
  entries?: Map<string, SourceNode>
  /** Calls that need its descriptor open right now (it is not closed for the budget meanwhile). */
  pins: number
  /** Set while it is being reopened: a name beneath itself (a bind mount loop) cannot reopen it. */
  reopening: boolean
  /** The listing of this directory that holds a descriptor for reading it, if any. */
  listing?: DirectoryStream
  /** Set when the node is gone: its descriptor number may belong to another file by now. */
  gone?: boolean
  /** When a listing last gave the kernel its Entry (whole performance.now() milliseconds; ListedEntries), NEVER_LISTED if none did. */
  listedAt: number
}

/**
 * The source's inodes the kernel holds, as libfuse's passthrough_hp keeps them: one node per
 * source inode, found by (st_dev, st_ino) whatever name led to it (the names of a hard-linked
 * file are one kernel inode). Node ids are ours, counted from ROOT_INO and never reused while the
 * node lives, so no generation is needed. Nothing is reached by path.
 *
 * Each node holds an O_PATH descriptor, but at most `budget` descriptors are held (listings
 * included): past it, the least recently used nodes close theirs, and one is reopened when a
 * call needs it, by one of its names beneath its directory's descriptor (itself reopened first if
 * needed), with the same openat2 confinement as a lookup. It must be the same inode again, else
 * the node is stale (ESTALE): the name now leads to another file. The root, a node without a name
 * (unlinked, or only known through a handle) and a node in use keep theirs.
 */
export class SourceNodes {
  readonly root: SourceNode
  private readonly byId = new Map<number, SourceNode>()
  private readonly byInode = new Map<number | string, SourceNode>()
  /** The source root's st_dev: inode keys on it are numbers (inodeKey). */
  private readonly home: number
  private readonly names: NodeNames
  /** Nodes holding a descriptor that may be closed, least recently used first. */
  private readonly lru = new DescriptorLru<SourceNode>()
  /** Descriptors held: the nodes' own and their listings'. */
  private held = 0
  /** The listings holding a descriptor, the one opened longest ago first. */
  private readonly listings = new Set<DirectoryStream>()
  private nextId = ROOT_INO + 1
  /** Where directories holding a descriptor are offered, for the driver to remove names in them itself (writable mounts). */
  private removals: DirectoryRemovals | undefined

  /** Opens the source directory (its real path) as the root node, held until closeAll. */
  static open(source: string, budget: number): SourceNodes {
    const fields = new Float64Array(18)
    const fd = calls.openSource(source, fields)
    if (fd === -Errno.ENOSYS) throw new FsError('ENOSYS', 'the passthrough backend needs openat2(2): Linux 5.6 or later')
    return new SourceNodes(check(fd), fields, budget)
  }

  private constructor(
    rootFd: number,
    fields: Float64Array,
    /** The most descriptors the nodes hold at once, when enough of them can be closed. */
    readonly budget: number,
  ) {
    this.home = deviceOf(fields)
    this.names = new NodeNames({
      // The root may get a name (a bind mount of the source inside it), never a closed descriptor.
      named: (node) => {
        if (node.fd !== CLOSED && node !== this.root) this.lru.add(node)
      },
      unnamed: (node) => this.lru.remove(node),
      unused: (dir) => this.releaseIfUnused(dir),
    })
    this.root = this.add(ROOT_INO, fields)
    this.arm(this.root, rootFd)
  }

  /** The node the kernel calls `id`; ESTALE for one it was never given or has forgotten. */
  get(id: number): SourceNode {
    const node = this.byId.get(id)
    if (node === undefined) throw new FsError('ESTALE', `no node ${id}`)
    return node
  }

  /**
   * The node's descriptor, reopened if the budget closed it. It stays open until the next call
   * that opens a node descriptor (fd, fds, adopt, openListing): use it at once.
   */
  fd(node: SourceNode): number {
    if (node.fd === CLOSED) return this.reopen(node)
    this.lru.use(node)
    return node.fd
  }

  /** The descriptors of two nodes for one call (rename, link): the first stays open while the second is reopened. */
  fds(first: SourceNode, second: SourceNode): [number, number] {
    const firstFd = this.fd(first)
    first.pins++
    try {
      return [firstFd, this.fd(second)]
    } finally {
      first.pins--
    }
  }

  /**
   * Counts a lookup of `name` in `dir`, which was just opened as the O_PATH descriptor `fd` (its
   * stat in `fields`): the inode's node when it has one (which takes the descriptor if it had
   * none, else it is closed), or a new node holding it.
   */
  adopt(fd: number, fields: Float64Array, dir: SourceNode, name: string): SourceNode {
    const node = this.nodeOf(fields)
    node.lookups++
    this.names.add(node, dir, name)
    if (node.fd === CLOSED) this.arm(node, fd)
    else closeSync(fd)
    return node
  }

  /**
   * Counts a lookup of `name` in `dir` when it is a name of a node holding its descriptor and
   * still leads to that inode (the stat of the name, in `fields`, says so): a name the kernel
   * looks up again (a second listing of a directory, an expired entry) costs one fstatat instead
   * of openat2, fstat and close. Undefined otherwise: the name is to be opened.
   */
  lookupKnown(dir: SourceNode, name: string, fields: Float64Array): SourceNode | undefined {
    const node = dir.entries?.get(name)
    if (node === undefined || node.fd === CLOSED) return undefined
    if (calls.statAt(this.fd(dir), name, fields) < 0 || inodeKey(fields, this.home) !== node.key) return undefined
    node.lookups++
    this.lru.use(node)
    return node
  }

  /**
   * Counts a lookup of `name` in `dir` known by its stat alone (`fields`, by statAt): the node of
   * that inode, or a new one holding no descriptor yet, opened by this name when a call needs it
   * (as one the budget closed). READDIRPLUS entries are made so: a listing costs one fstatat per
   * entry, not openat2, fstat and a close later for entries nobody opens (find, rm -rf).
   */
  adoptStat(fields: Float64Array, dir: SourceNode, name: string): SourceNode {
    const node = this.nodeOf(fields)
    node.lookups++
    this.names.add(node, dir, name)
    return node
  }

  /** Counts another lookup of a node, by its new name `name` in `dir` (link). */
  hold(node: SourceNode, dir: SourceNode, name: string): SourceNode {
    node.lookups++
    this.names.add(node, dir, name)
    return node
  }

  /** Whether `node` is on the source directory's own filesystem (not one mounted beneath it). */
  onSourceFilesystem(node: SourceNode): boolean {
    // A number key is an inode of the source's device (inodeKey); a string may be one too, or not.
    return typeof node.key === 'number'
  }

  /** `name` was removed from `dir` through the mount (unlink, rmdir). */
  removed(dir: SourceNode, name: string): void {
    this.names.remove(dir, name)
  }

  /** `name` in `from` was renamed to `newName` in `to` through the mount, with renameat2's `flags`. */
  renamed(from: SourceNode, name: string, to: SourceNode, newName: string, flags: number): void {
    const moved = from.entries?.get(name)
    const replaced = to.entries?.get(newName)
    // Two names of one inode: rename changes nothing, RENAME_EXCHANGE swaps the same file.
    if (moved === replaced) return
    if (moved) this.names.remove(from, name)
    if (replaced) this.names.remove(to, newName)
    if (moved) this.names.add(moved, to, newName)
    if (replaced && flags & RenameFlags.EXCHANGE) this.names.add(replaced, from, name)
  }

  /** The kernel gave back `count` lookups of `id`; at none, the node goes once no node needs it as a directory. */
  forget(id: number, count: number): void {
    const node = this.byId.get(id)
    // The root lives as long as the mount, whatever the kernel counts.
    if (node === undefined || node === this.root) return
    node.lookups -= count
    this.releaseIfUnused(node)
  }

  /**
   * From now on the driver may remove names in directories holding a descriptor (unlinkat on it,
   * as unlink and rmdir do), telling these nodes after each.
   */
  offerDirectoriesTo(removals: DirectoryRemovals): void {
    this.removals = removals
    removals.onRemoved((parent, name) => this.removed(this.get(parent), name))
  }

  /**
   * A descriptor for reading the directory `node`, counted with the nodes' until closeListing.
   * Past OPEN_LISTINGS unfinished listings the one opened longest ago gives its descriptor up: it
   * reopens the directory if it is read again.
   */
  openListing(node: SourceNode, listing: DirectoryStream): number {
    const fd = check(calls.openDirectory(this.fd(node)))
    this.held++
    this.listings.add(listing)
    if (this.listings.size > OPEN_LISTINGS) this.listings.values().next().value!.release()
    this.trim(node)
    return fd
  }

  closeListing(listing: DirectoryStream, fd: number): void {
    closeSync(fd)
    this.held--
    this.listings.delete(listing)
  }

  /** Every node goes (the mount is gone). */
  closeAll(): void {
    for (const node of this.byId.values()) this.close(node)
  }

  /** The node of the inode whose stat is in `fields`, a new one if it has none. */
  private nodeOf(fields: Float64Array): SourceNode {
    const key = inodeKey(fields, this.home)
    return this.byInode.get(key) ?? this.add(this.nextId++, fields, key)
  }

  private add(id: number, fields: Float64Array, key = inodeKey(fields, this.home)): SourceNode {
    // Every field from the start: one shape for all nodes keeps the hot path's reads monomorphic.
    const node: SourceNode = {
      id,
      fd: CLOSED,
      type: fileType(fields),
      ino: inodeNumber(fields),
      key,
      lookups: 0,
      dir: undefined,
      name: '',
      olderNames: undefined,
      entries: undefined,
      pins: 0,
      reopening: false,
      listing: undefined,
      gone: false,
      listedAt: NEVER_LISTED,
      older: undefined,
      newer: undefined,
      inLru: false,
    }
    this.byId.set(id, node)
    this.byInode.set(node.key, node)
    return node
  }

  /** `node` holds `fd` from now on; the least recently used others close theirs past the budget. */
  private arm(node: SourceNode, fd: number): void {
    node.fd = fd
    this.held++
    if (node.type === FileType.S_IFDIR && this.removals?.available) this.removals.offer(node.id, fd)
    if (node.dir !== undefined) this.lru.add(node)
    this.trim(node)
  }

  /** Closes descriptors of the least recently used nodes not in use until the budget holds (`keep`'s stays). */
  private trim(keep: SourceNode): void {
    let firstKept: SourceNode | undefined
    for (let node = this.lru.oldest(); this.held > this.budget && node !== undefined && node !== firstKept; node = this.lru.oldest()) {
      if (node === keep || node.pins > 0) {
        // In use: looked at again only after all the others.
        firstKept ??= node
        this.lru.use(node)
      } else {
        this.disarm(node)
      }
    }
  }

  private disarm(node: SourceNode): void {
    node.listing?.release()
    // Before the number can be reused: the driver must not unlink in whatever gets it next.
    if (node.type === FileType.S_IFDIR) this.removals?.withdraw(node.id)
    closeSync(node.fd)
    node.fd = CLOSED
    this.held--
    this.lru.remove(node)
  }

  /**
   * Opens `node` again by one of its names, newest first, beneath its directory's descriptor. A
   * name that leads nowhere or to another inode is dropped; with none left the node is stale.
   */
  private reopen(node: SourceNode): number {
    if (node.gone) throw new FsError('ESTALE', `node ${node.id} is gone`)
    if (node.reopening) throw new FsError('ELOOP', `node ${node.id} lies beneath itself`)
    node.reopening = true
    try {
      return this.reopenByName(node)
    } finally {
      node.reopening = false
    }
  }

  private reopenByName(node: SourceNode): number {
    let failure: FsError | undefined
    // Newest first; dropping name i leaves the numbers of older names as they were.
    for (let i = this.names.count(node) - 1; i >= 0; i--) {
      const dir = this.names.dirAt(node, i)
      const name = this.names.nameAt(node, i)
      let fd: number
      try {
        // The directory's descriptor is used at once: opening the node's may close it after.
        fd = calls.lookupAt(this.fd(dir), name, reopenFields)
      } catch (error) {
        // The directory is stale or could not be reopened: its name may still work later.
        failure ??= error as FsError
        continue
      }
      if (fd >= 0 && inodeKey(reopenFields, this.home) === node.key) {
        this.arm(node, fd)
        return fd
      }
      if (fd >= 0) closeSync(fd)
      if (fd >= 0 || fd === -Errno.ENOENT) this.names.remove(dir, name)
      else failure ??= new FsError(-fd)
    }
    throw failure ?? new FsError('ESTALE', `node ${node.id}: none of its names leads to it any more`)
  }

  /** Closes `first` if the kernel holds no lookup of it and no node needs it as a directory, then its directories likewise. */
  private releaseIfUnused(first: SourceNode): void {
    // Most calls find it still in use (a directory after an unlink in it, a forget of some of its lookups).
    if (!this.unused(first)) return
    const pending = [first]
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (!this.unused(node)) continue
      this.close(node)
      pending.push(...this.names.removeAll(node))
    }
  }

  private unused(node: SourceNode): boolean {
    return node !== this.root && !node.gone && node.lookups <= 0 && !node.entries?.size
  }

  private close(node: SourceNode): void {
    node.gone = true
    this.byId.delete(node.id)
    this.byInode.delete(node.key)
    if (node.fd !== CLOSED) this.disarm(node)
  }
}
