/** Bytes of a local file, sent from the file rather than held in memory. */
export interface FileRange {
  path: string
  start: number
  length: number
}

/** What an upload sends: bytes in memory, or a range of a local file. */
export type UploadBody = Buffer | FileRange
