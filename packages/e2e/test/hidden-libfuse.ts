import { execFile } from 'node:child_process'
import { realpath } from 'node:fs/promises'
import { promisify } from 'node:util'

const exec = promisify(execFile)

/** The file the dynamic linker loads for libfuse.so.2. */
async function libfusePath(): Promise<string> {
  const { stdout } = await exec('ldconfig', ['-p'], { env: { PATH: `/usr/sbin:/sbin:${process.env.PATH}` } })
  const line = stdout.split('\n').find((entry) => entry.trim().startsWith('libfuse.so.2 '))
  if (!line) throw new Error(`libfuse.so.2 is not in the linker cache, and this test hides it to see what is left: apt-get install -y libfuse2\n${stdout}`)
  return realpath(line.slice(line.indexOf('=>') + 2).trim())
}

/**
 * A command prefix (for run's `via`) that runs a command where libfuse 2 does not load: in a
 * private mount namespace, the library is replaced by an empty file.
 */
export async function withoutLibfuse(): Promise<string[]> {
  return ['unshare', '--mount', '--map-root-user', 'sh', '-c', 'mount --bind /dev/null "$1" && shift && exec "$@"', 'sh', await libfusePath()]
}
