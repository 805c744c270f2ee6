import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'

/** A piece of the system a FUSE mount needs, and how to get it. */
export interface MissingFusePart {
  part: string
  hint: string
}

const TRIPLETS: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }

/**
 * What this machine lacks to mount with `driver` (empty when nothing is missing): /dev/fuse
 * always; fusermount for an ordinary user, and for fuse-native, which also needs libfuse 2.
 */
export function missingFuseParts(driver: 'lowlevel' | 'fuse-native' = 'fuse-native', asRoot = process.geteuid?.() === 0): MissingFusePart[] {
  const missing: MissingFusePart[] = []
  if (!existsSync('/dev/fuse')) {
    missing.push({ part: '/dev/fuse', hint: 'load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse --cap-add SYS_ADMIN' })
  } else if (!asRoot && !usable('/dev/fuse')) {
    missing.push({ part: 'access to /dev/fuse', hint: 'give users read and write access to it (chmod 0666 /dev/fuse, as udev\'s rule for it does)' })
  }
  if ((driver === 'fuse-native' || !asRoot) && !executableOnPath('fusermount')) missing.push({ part: 'fusermount', hint: 'install it with apt-get install -y fuse' })
  if (driver === 'fuse-native' && !libfuseInstalled()) missing.push({ part: 'libfuse.so.2', hint: 'install it with apt-get install -y libfuse2' })
  return missing
}

function usable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK)
    return true
  } catch {
    return false
  }
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
