import { mountedType, type Mount } from '@fusekit/core'
import type { CliContext } from '../context.js'
import { EXIT_FAILURE, EXIT_OK } from '../errors.js'
import { capYoungGeneration } from '../young-generation.js'

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
const WATCH_INTERVAL_MS = 1000

/**
 * Mounts, prints the ready line, and serves until a signal (then unmounts cleanly) or until the
 * mount disappears from outside (`fusermount -u`). Signal handlers are in place before mounting,
 * so a signal that arrives meanwhile unmounts as soon as the mount is up.
 */
export async function serveInForeground(start: () => Promise<Mount>, backendName: string, ctx: CliContext): Promise<number> {
  let requestStop!: (reason: NodeJS.Signals | 'gone') => void
  const stopRequested = new Promise<NodeJS.Signals | 'gone'>((resolve) => (requestStop = resolve))
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      ctx.err(`fusekit: ${signal} again: exiting without a clean unmount (clear it with fusekit unmount)`)
      process.exit(EXIT_FAILURE)
    }
    stopping = true
    requestStop(signal)
  }
  for (const signal of SIGNALS) process.on(signal, onSignal)
  capYoungGeneration()

  try {
    const mount = await start()
    ctx.err(`fusekit: mounted ${backendName} at ${mount.mountpoint}`)
    ctx.mounted(mount.mountpoint)
    // The driver tells when the kernel ended the session; otherwise (fuse-native) the mount table
    // is watched, which cannot tell another mount made at the same place at once from ours.
    void mount.ended?.then(() => requestStop('gone'))
    const watcher = mount.ended
      ? undefined
      : setInterval(() => {
          // Reads the mount table only: a process must never touch its own mount.
          void mountedType(mount.mountpoint).then((type) => type === undefined && requestStop('gone'))
        }, WATCH_INTERVAL_MS)
    const reason = await stopRequested
    clearInterval(watcher)
    if (reason === 'gone') {
      ctx.err(`fusekit: ${mount.mountpoint} was unmounted from outside; exiting`)
      // The kernel side is gone already; this releases the backend.
      await mount.unmount()
      return EXIT_OK
    }
    ctx.err(`fusekit: ${reason}: unmounting ${mount.mountpoint}`)
    await mount.unmount()
    ctx.err(`fusekit: unmounted ${mount.mountpoint}`)
    return EXIT_OK
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal)
  }
}
