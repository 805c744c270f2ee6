import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

const INSTALL = 'FUSE is not available here: install it with apt-get install -y libfuse2 fuse'
const TRIPLETS: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }

/** Fails (never skips) when this machine cannot mount: FUSE tests must say what to install. */
export function assertFuseAvailable(): void {
  const missing = [
    existsSync('/dev/fuse') ? undefined : '/dev/fuse',
    executableOnPath('fusermount') ? undefined : 'fusermount',
    libfuseInstalled() ? undefined : 'libfuse.so.2',
  ].filter((m) => m !== undefined)
  if (missing.length > 0) throw new Error(`${INSTALL} (missing: ${missing.join(', ')})`)
}

function executableOnPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

function libfuseInstalled(): boolean {
  const triplet = TRIPLETS[process.arch]
  const dirs = ['/usr/lib', '/lib', '/usr/lib64', '/lib64', '/usr/local/lib']
  const candidates = triplet ? [...dirs.map((d) => join(d, triplet)), ...dirs] : dirs
  return candidates.some((dir) => existsSync(join(dir, 'libfuse.so.2')))
}
