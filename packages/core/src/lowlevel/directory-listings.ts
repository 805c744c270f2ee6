import type { InodeDirEntry, InodeListing } from '../inode-operations.js'
import type { ListingWriter } from '../listing-writer.js'

/** A listing being read: the backend's directory handle and where its entries stand. */
export interface Listing {
  fh: number
  /** The backend's listing, from the offset it was asked for. */
  source?: InodeListing
  /** Whether `source` was asked for with stats (by READDIRPLUS) and may still give them cheaper without. */
  withStats?: boolean
  /**
   * Its entries from `next` on, as a READDIR left them: made from `source` when first drawn (a
   * ListingWriter that writes every reply never is).
   */
  entries?: Iterator<InodeDirEntry>
  /** The backend's listing when it writes its entries itself (a ListingWriter): `entries` reads the same place. */
  writer?: ListingWriter
  /** The offset of the next entry: the number of entries already sent. */
  next: number
  /** An entry drawn from `entries` that did not fit in the last reply. */
  held?: InodeDirEntry
  /** `entries` gave its last entry: a read at `next` finds the end, with or without stats. */
  ended?: boolean
}

/**
 * Where the driver answers the READDIR that finds a listing's end itself (an empty reply), once
 * told where that is: the last call of a getdents(2) loop costs no JavaScript. `whole`: the
 * entries of a READDIRPLUS reply that listed the directory from offset 0 to its end, which the
 * driver may keep to answer the next READDIRPLUS from offset 0 itself (native/listing-replays.h).
 */
export interface ListingEnds {
  mark(nodeid: number, fh: number, offset: number, whole?: Buffer): void
}

/** Listings in a row of at most SMALL_LISTING entries after which directories open with no message. */
const SMALL_LISTINGS_BEFORE_ZERO_MESSAGE = 64
const SMALL_LISTING = 256

/**
 * The directory listings being read, by the handle OPENDIR gave; or, once directories open with
 * no message (FUSE_NO_OPENDIR_SUPPORT: two requests fewer per listing), by node, from a read at
 * offset 0 to the read that finds the end.
 *
 * Directories opened with no message are cached by the kernel (FOPEN_CACHE_DIR, its default
 * then): it copies every entry of every reply into the directory's page cache in the caller's
 * getdents, ~0.2 µs an entry, which a directory opened with OPENDIR and no flags does not pay
 * (a cold `ls -f` of 100,000 names: the caller's CPU 30 → 14 ms). So the session starts with
 * messages and answers OPENDIR ENOSYS, switching for good, once many listings in a row were small
 * (a tree walked by `find` or `rm -rf`, where the two requests cost more than the copies).
 */
export class DirectoryListings {
  private readonly byHandle = new Map<number, Listing>()
  private readonly byNode = new Map<number, Listing>()
  private nextHandle = 1
  /** Set at INIT: the kernel may open directories without asking, and the backend needs no opendir. */
  zeroMessageAllowed = false
  /** The kernel opens directories without asking (an OPENDIR was answered ENOSYS). */
  private zeroMessageOpen = false
  private smallInARow = 0

  /** Whether an OPENDIR is to be answered ENOSYS, after which the kernel asks no more. */
  openWithoutMessage(): boolean {
    if (this.zeroMessageAllowed && this.smallInARow >= SMALL_LISTINGS_BEFORE_ZERO_MESSAGE) this.zeroMessageOpen = true
    return this.zeroMessageOpen
  }

  /** A handle for a directory the backend opened as `fh`. */
  open(fh: number): number {
    const handle = this.nextHandle++
    this.byHandle.set(handle, { fh, next: 0 })
    return handle
  }

  get(handle: number): Listing | undefined {
    return this.byHandle.get(handle)
  }

  release(handle: number): Listing | undefined {
    const listing = this.byHandle.get(handle)
    this.byHandle.delete(handle)
    if (listing) this.smallInARow = listing.next <= SMALL_LISTING ? this.smallInARow + 1 : 0
    return listing
  }

  /** The listing a READDIR of `nodeid` with `handle` reads from (handle 0: a directory opened with no message). */
  reading(nodeid: number, handle: number): Listing | undefined {
    if (handle !== 0 || !this.zeroMessageAllowed) return this.byHandle.get(handle)
    let listing = this.byNode.get(nodeid)
    if (!listing) this.byNode.set(nodeid, (listing = { fh: 0, next: 0 }))
    return listing
  }

  /** A read found the end of the listing: its per-node listing goes. */
  finished(nodeid: number): void {
    this.byNode.delete(nodeid)
  }

  /**
   * The kernel gave back lookups of `nodeid`: its per-node listing goes, returned so that what it
   * holds can be given back. With no message at open or release nothing else tells of a listing
   * left unfinished (`ls | head`), which kept its backend's listing for as long as the mount lived.
   * A READDIR after asks the backend again.
   */
  forgotten(nodeid: number): Listing | undefined {
    if (this.byNode.size === 0) return undefined
    const listing = this.byNode.get(nodeid)
    this.byNode.delete(nodeid)
    return listing
  }
}
