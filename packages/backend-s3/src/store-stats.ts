/** What a store sent and received: tests count requests with it, the bench reports it. */
export class StoreStats {
  /** Calls by operation name (GET, PUT, UPLOAD-PART, ...); retries are not counted again. */
  readonly calls: Record<string, number> = {}
  retries = 0
  bytesReceived = 0
  bytesSent = 0

  count(operation: string): void {
    this.calls[operation] = (this.calls[operation] ?? 0) + 1
  }

  reset(): void {
    for (const name of Object.keys(this.calls)) delete this.calls[name]
    this.retries = 0
    this.bytesReceived = 0
    this.bytesSent = 0
  }
}
