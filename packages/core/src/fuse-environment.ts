import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** A piece of the system a FUSE mount needs, and how to get it. */
export interface MissingFusePart {
  part: string
  hint: string
}

const TRIPLETS: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }

/** What this machine lacks to mount (empty when nothing is missing). */
export function missingFuseParts(): MissingFusePart[] {
  const missing: MissingFusePart[] = []
  if (!existsSync('/dev/fuse')) {
    missing.push({ part: '/dev/fuse', hint: 'load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse --cap-add SYS_ADMIN' })
  }
  if (!executableOnPath('fusermount')) missing.push({ part: 'fusermount', hint: 'install it with apt-get install -y fuse' })
  if (!libfuseInstalled()) missing.push({ part: 'libfuse.so.2', hint: 'install it with apt-get install -y libfuse2' })
  return missing
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
