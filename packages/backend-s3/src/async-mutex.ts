/** One holder at a time, served in arrival order; no closures kept per waiter beyond its turn. */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve()

  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.tail
    let release!: () => void
    this.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    try {
      return await task()
    } finally {
      release()
    }
  }
}
