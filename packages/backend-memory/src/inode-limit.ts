import { getHeapStatistics } from 'node:v8'

/** Capacity per inode, like tmpfs's default of one inode per page of RAM, but denser. */
const CAPACITY_PER_INODE = 1024
/** Generous upper bound of what one inode with its directory entry costs on the JavaScript heap. */
const HEAP_PER_INODE = 1024
const MIN_INODES = 1024

/**
 * How many inodes a mount of `capacity` bytes may hold: one per KiB of capacity, but no more
 * than the JavaScript heap can keep (inodes live on the heap, file data outside it).
 */
export function inodeLimit(capacity: number, heapLimit: number = getHeapStatistics().heap_size_limit): number {
  const byHeap = Math.floor(heapLimit / 2 / HEAP_PER_INODE)
  return Math.max(MIN_INODES, Math.min(Math.floor(capacity / CAPACITY_PER_INODE), byHeap))
}
