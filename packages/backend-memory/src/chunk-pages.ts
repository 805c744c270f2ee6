/** Files are stored in chunks of this size, each allocated only when written to. */
export const CHUNK_SIZE = 64 * 1024
/** Allocation granularity within a chunk, as a page of tmpfs. */
export const PAGE_SIZE = 4096

const PAGES_PER_CHUNK = CHUNK_SIZE / PAGE_SIZE
const ALL_PAGES = 2 ** PAGES_PER_CHUNK - 1

/*
 * Sets of pages of one chunk as bit masks: bit i stands for page i of the chunk.
 */

/** The pages from `page` to the end of the chunk. */
export function pagesFrom(page: number): number {
  return page >= PAGES_PER_CHUNK ? 0 : (ALL_PAGES << page) & ALL_PAGES
}

/** The pages that bytes [from, to) of a chunk touch, partly or wholly. */
export function pagesTouched(from: number, to: number): number {
  return pagesFrom(Math.floor(from / PAGE_SIZE)) & ~pagesFrom(Math.ceil(to / PAGE_SIZE))
}

/** The pages that lie wholly inside bytes [from, to) of a chunk. */
export function pagesWithin(from: number, to: number): number {
  return pagesFrom(Math.ceil(from / PAGE_SIZE)) & ~pagesFrom(Math.floor(to / PAGE_SIZE))
}

export function pageCount(mask: number): number {
  let count = 0
  for (let m = mask; m !== 0; m &= m - 1) count++
  return count
}

/** The first page of a non-empty set. */
export function firstPage(mask: number): number {
  return 31 - Math.clz32(mask & -mask)
}

/** Where the last page of a set ends, in bytes from the chunk's start (0 for none). */
export function endOfLastPage(mask: number): number {
  return (32 - Math.clz32(mask)) * PAGE_SIZE
}
