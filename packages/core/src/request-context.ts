import { readFileSync } from 'node:fs'

/**
 * Who is asking, passed first to every operation of both layers.
 *
 * - `uid`, `gid`, `pid`: the calling process's filesystem ids and its process id, as the kernel
 *   sends them (the low-level driver). Through fuse-native they are the mounting user's and
 *   `pid` is 0: libfuse 2's context does not reach JavaScript.
 * - `groups`: the caller's supplementary groups. The kernel does not send them: they are read
 *   from /proc the first time they are asked for (empty when the caller is already gone).
 * - `umask`: the caller's umask on create, mkdir and mknod (the kernel has already applied it to
 *   the mode it passes); 0 on every other request.
 * - `signal`: aborted when the kernel interrupts the request (the caller got a signal, or was
 *   killed) and when the mount goes down. Hand it to anything slow (a network call): the reply
 *   after an abort is still sent, but nobody may be waiting for it.
 */
export interface RequestContext {
  readonly uid: number
  readonly gid: number
  readonly pid: number
  readonly groups: readonly number[]
  readonly umask: number
  readonly signal: AbortSignal
}

/**
 * A RequestContext whose AbortController is made only when somebody reads `signal`: most
 * requests are answered before anything looks at it, and a controller per request is not free.
 */
export class CallerContext implements RequestContext {
  private controller: AbortController | undefined
  private abortReason: unknown
  private supplementary: readonly number[] | undefined
  /** Set by the requests that carry it (create, mkdir, mknod). */
  umask = 0

  constructor(
    readonly uid: number,
    readonly gid: number,
    readonly pid: number,
    /** The supplementary groups when known; otherwise read from /proc for `pid` (none for pid 0). */
    groups?: readonly number[],
  ) {
    this.supplementary = groups
  }

  get groups(): readonly number[] {
    return (this.supplementary ??= this.pid > 0 ? groupsOf(this.pid) : [])
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason)
    }
    return this.controller.signal
  }

  /** Whether the request was interrupted (without making a signal for it). */
  get aborted(): boolean {
    return this.abortReason !== undefined
  }

  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return
    this.abortReason = reason
    this.controller?.abort(reason)
  }
}

/** A thread's supplementary groups, from /proc/<tid>/task/<tid>/status ("Groups:"). */
function groupsOf(tid: number): number[] {
  let status: string
  try {
    status = readFileSync(`/proc/${tid}/task/${tid}/status`, 'latin1')
  } catch {
    return []
  }
  const line = /^Groups:(.*)$/m.exec(status)?.[1] ?? ''
  return line.split(/\s+/).filter(Boolean).map(Number)
}
