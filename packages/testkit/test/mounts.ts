import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Whether something is mounted exactly at `dir` (per /proc/self/mountinfo). */
export function isMountPoint(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === dir)
}

/** Unmounts `dir`; if it is busy, detaches it lazily so that nothing stays mounted. */
export function unmount(dir: string): void {
  if (!isMountPoint(dir)) return
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' })
  } catch {
    execFileSync('umount', ['--lazy', dir], { stdio: 'pipe' })
  }
}
