import { accessSync, constants, existsSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { CliError } from './errors.js'

/**
 * Checks what a mount needs before trying one, so the user is told what to install rather than
 * getting a failure from deep inside libfuse. (A missing libfuse.so.2 is reported by core's loader.)
 */
export function checkFuseEnvironment(): void {
  if (!existsSync('/dev/fuse')) {
    throw new CliError('/dev/fuse is missing: load the kernel module (modprobe fuse); in a container, start it with --device /dev/fuse --cap-add SYS_ADMIN')
  }
  if (!onPath('fusermount')) throw new CliError('fusermount is missing: install it with apt-get install -y fuse')
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}
