/** The links an object needs to be kept in a DescriptorLru (set and read by it alone). */
export interface LruLinks<T> {
  older?: T
  newer?: T
  inLru?: boolean
}

/**
 * Objects in the order of their last use, oldest first: a doubly linked list through the
 * objects themselves, so that adding, using or removing one is a few pointer writes and
 * allocates nothing.
 */
export class DescriptorLru<T extends LruLinks<T>> {
  private oldestItem: T | undefined
  private newestItem: T | undefined

  /** Adds `item` as the newest (or makes it the newest if it is in already). */
  add(item: T): void {
    if (item.inLru) this.unlink(item)
    item.inLru = true
    item.older = this.newestItem
    item.newer = undefined
    if (this.newestItem) this.newestItem.newer = item
    else this.oldestItem = item
    this.newestItem = item
  }

  /** Makes `item` the newest if it is in the list; anything else is left out. */
  use(item: T): void {
    if (item.inLru && item !== this.newestItem) this.add(item)
  }

  remove(item: T): void {
    if (!item.inLru) return
    this.unlink(item)
    item.inLru = false
    item.older = item.newer = undefined
  }

  oldest(): T | undefined {
    return this.oldestItem
  }

  private unlink(item: T): void {
    if (item.older) item.older.newer = item.newer
    else this.oldestItem = item.newer
    if (item.newer) item.newer.older = item.older
    else this.newestItem = item.older
  }
}
