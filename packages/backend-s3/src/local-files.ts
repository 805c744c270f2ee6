import { FsError } from '@fusekit/core'
import type { ObjectAttributes } from './object-metadata.js'
import type { ReadHandle } from './read-ahead.js'
import type { StagedFile } from './staged-file.js'

/**
 * A file this mount has open, or has written and not uploaded yet: while it exists, its state is
 * the truth for its path, whatever S3 or the cache say.
 */
export class LocalFile {
  /** Its data staged for upload, from the first change on. */
  staged: StagedFile | undefined
  /** Being staged (a HEAD for the object's current version, then the staged file). */
  staging: Promise<StagedFile> | undefined
  /** Operations under way that need its staged data whether handles remain or not (an unlink making it local). */
  busy = 0
  /** Unlinked or replaced while open: lives on through its handles, and is never uploaded. */
  detached = false
  /** Its open handles. */
  readonly opens = new Set<OpenHandle>()
  get handles(): number {
    return this.opens.size
  }
  /** Its last upload failed (logged once; cleared by the next success). */
  uploadFailing = false
  /** Metadata of the object that is not ours (another tool's, or the user's): kept on upload. */
  foreignMetadata: Record<string, string> = {}
  contentType: string | undefined

  constructor(
    public path: string,
    public key: string,
    readonly ino: number,
    public attributes: ObjectAttributes,
    /** The version of the object it started from (undefined: new, or not known). */
    public etag: string | undefined,
  ) {}

  get size(): number {
    return this.staged ? this.staged.size : this.attributes.size
  }

  /** Whether it holds changes S3 does not have yet. */
  get dirty(): boolean {
    return this.staged !== undefined && (this.staged.dirty || this.staged.uploading !== undefined)
  }

  /** Its attributes with the current size. */
  current(): ObjectAttributes {
    return { ...this.attributes, size: this.size }
  }
}

/** One open of a file. */
export interface OpenHandle {
  /** Its number, the kernel's file handle. */
  readonly fh: number
  readonly file: LocalFile
  /** Read-ahead state for reads of the object (not of staged data); made at the first read, dropped when the file changes. */
  reader: ReadHandle | undefined
  /** Whether this open made the file or changed it: its close uploads (a reader's close does not). */
  wrote: boolean
}

/**
 * The local files by path, and the open handles (file handle numbers for the kernel). A file
 * leaves the table when it has no handle and nothing left to upload; a detached one (unlinked
 * while open) is reached through its handles only.
 */
export class LocalFiles {
  constructor(
    /** Lets a handle's read-ahead go (ReadAhead.close). */
    private readonly closeReader: (reader: ReadHandle) => void,
  ) {}

  private readonly byPath = new Map<string, LocalFile>()
  private readonly handles = new Map<number, OpenHandle>()
  private nextHandle = 1

  get(path: string): LocalFile | undefined {
    return this.byPath.get(path)
  }

  add(file: LocalFile): void {
    this.byPath.set(file.path, file)
  }

  /** Opens a handle on `file`; returns its number. */
  open(file: LocalFile): number {
    const fh = this.nextHandle++
    const handle: OpenHandle = { fh, file, reader: undefined, wrote: false }
    this.handles.set(fh, handle)
    file.opens.add(handle)
    return fh
  }

  handle(fh: number): OpenHandle {
    const handle = this.handles.get(fh)
    if (!handle) throw new FsError('EBADF', `no open file ${fh}`)
    return handle
  }

  /** Ends a handle; returns it (its file has one handle less). */
  close(fh: number): OpenHandle {
    const handle = this.handle(fh)
    this.handles.delete(fh)
    handle.file.opens.delete(handle)
    return handle
  }

  /**
   * The file's bytes or its object's version changed: what its handles fetched of the old one
   * goes now, not at their next read (the driver may answer reads from it meanwhile).
   */
  changed(file: LocalFile): void {
    for (const handle of file.opens) {
      if (!handle.reader) continue
      this.closeReader(handle.reader)
      handle.reader = undefined
    }
  }

  /** Takes `file` out of the table when nothing needs it there any more. */
  forgetIfIdle(file: LocalFile): boolean {
    if (file.handles > 0 || file.busy > 0 || file.dirty || file.staging) return false
    if (this.byPath.get(file.path) === file) this.byPath.delete(file.path)
    return true
  }

  /** The file's name is gone (unlink, or a rename onto it): only its handles reach it now. */
  detach(file: LocalFile): void {
    file.detached = true
    if (this.byPath.get(file.path) === file) this.byPath.delete(file.path)
  }

  /** A rename: the file at `from`, and every file beneath it when it is a directory, moves to `to`. */
  move(from: string, to: string, keyOf: (path: string) => string): void {
    const moved = [...this.byPath.values()].filter((f) => f.path === from || f.path.startsWith(`${from}/`))
    for (const file of moved) this.byPath.delete(file.path)
    for (const file of moved) {
      file.path = to + file.path.slice(from.length)
      file.key = keyOf(file.path)
      this.byPath.set(file.path, file)
    }
  }

  /** Files with local state directly in `dir`. */
  childrenOf(dir: string): LocalFile[] {
    const base = dir === '/' ? '/' : `${dir}/`
    return [...this.byPath.values()].filter((f) => f.path.startsWith(base) && !f.path.includes('/', base.length))
  }

  /** Files with local state anywhere beneath `dir`. */
  beneath(dir: string): LocalFile[] {
    const base = dir === '/' ? '/' : `${dir}/`
    return [...this.byPath.values()].filter((f) => f.path.startsWith(base))
  }

  all(): LocalFile[] {
    return [...this.byPath.values()]
  }
}
