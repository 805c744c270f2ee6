import { entryIdentity, type DirEntry, type Stat } from '../types.js'
import { FUSE_UNKNOWN_INO } from './protocol.js'

/** One entry of a listing, ready to encode. */
export interface ListedEntry {
  name: string
  bytes: Buffer
  ino: number
  /** The dirent type (the S_IFMT bits shifted down). */
  type: number
  /** Full attributes, for READDIRPLUS; never for "." and "..", which the kernel does not look up. */
  stat?: Stat
}

/** A listing being read: the backend's directory handle and the entries listed at offset 0. */
export interface Listing {
  fh: number
  entries?: ListedEntry[]
}

/**
 * The directory listings being read, by the handle OPENDIR gave; or, when directories open with
 * no message (FUSE_NO_OPENDIR_SUPPORT: two requests fewer per listing), by node, from a read at
 * offset 0 to the read that finds the end.
 */
export class DirectoryListings {
  private readonly byHandle = new Map<number, Listing>()
  private readonly byNode = new Map<number, Listing>()
  private nextHandle = 1
  /** Set at INIT: the kernel opens directories without asking. */
  zeroMessageOpen = false

  /** A handle for a directory the backend opened as `fh`. */
  open(fh: number): number {
    const handle = this.nextHandle++
    this.byHandle.set(handle, { fh })
    return handle
  }

  get(handle: number): Listing | undefined {
    return this.byHandle.get(handle)
  }

  release(handle: number): Listing | undefined {
    const listing = this.byHandle.get(handle)
    this.byHandle.delete(handle)
    return listing
  }

  /** The listing a READDIR of `nodeid` with `handle` reads from. */
  reading(nodeid: number, handle: number): Listing | undefined {
    if (!this.zeroMessageOpen) return this.byHandle.get(handle)
    let listing = this.byNode.get(nodeid)
    if (!listing) this.byNode.set(nodeid, (listing = { fh: 0 }))
    return listing
  }

  /** A read found the end of the listing, or the node is gone: its per-node listing goes. */
  finished(nodeid: number): void {
    this.byNode.delete(nodeid)
  }
}

/** The backend's entries as they are encoded. */
export function listed(entries: readonly DirEntry[]): ListedEntry[] {
  return entries.map((e) => {
    const { ino, type } = entryIdentity(e)
    const dots = e.name === '.' || e.name === '..'
    return { name: e.name, bytes: Buffer.from(e.name), ino: ino || FUSE_UNKNOWN_INO, type: type >>> 12, stat: dots ? undefined : e.stat }
  })
}
