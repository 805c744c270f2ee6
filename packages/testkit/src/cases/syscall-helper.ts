import { execFile } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { chmod, copyFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getSystemErrorName } from 'node:util'

/**
 * A small C program (native/fusekit-syscall.c) that makes single syscalls Node has no API for
 * (utimensat with UTIME_NOW / UTIME_OMIT / nanoseconds, fallocate with any mode, lseek
 * SEEK_DATA/SEEK_HOLE, one copy_file_range call, renameat2 with flags, mknod, *xattr) and prints
 * exactly what the kernel answered: `ok <value>` or `err <open|call> <errno number>`. Shell tools
 * blur that (xfs_io prints "EOF" for ENXIO, loops copy_range until it returns 0, always adds
 * KEEP_SIZE to a punch and exits 0 after some failed commands; touch reports its open's error
 * instead of utimensat's), so the cases use this instead. The package ships it built for its
 * platform (prebuilds/<platform>-<arch>/); elsewhere it is compiled with gcc.
 */
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const helperSource = join(packageDir, 'native', 'fusekit-syscall.c')
export const prebuiltHelper = join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, 'fusekit-syscall')

/** Compiles the helper (the package build does it once; the kit, where nothing was shipped for the platform). */
export function compileHelper(output: string): Promise<void> {
  return new Promise<void>((done, fail) => {
    execFile('gcc', ['-O2', '-Wall', '-o', output, helperSource], (error, _stdout, stderr) => {
      if (error) fail(new Error(`no prebuilt syscall helper for ${process.platform}-${process.arch}, and building one with gcc failed (install gcc and libc6-dev): ${stderr || error.message}`))
      else done()
    })
  })
}

/**
 * Puts the helper in a fresh private directory (mkdtemp, then mode 0755 so that every test user
 * can run it wherever the package lives: never a predictable path in /tmp that someone else
 * could have made first). `dispose` removes it; so does the process's exit, should nobody call it.
 */
export async function buildSyscallHelper(): Promise<{ path: string; dispose(): void }> {
  const dir = await mkdtemp(join(tmpdir(), 'fusekit-syscall-'))
  const dispose = () => rmSync(dir, { recursive: true, force: true })
  process.once('exit', dispose)
  try {
    const binary = join(dir, 'fusekit-syscall')
    if (existsSync(prebuiltHelper)) await copyFile(prebuiltHelper, binary)
    else await compileHelper(binary)
    await chmod(binary, 0o755)
    await chmod(dir, 0o755)
    return {
      path: binary,
      dispose() {
        process.removeListener('exit', dispose)
        dispose()
      },
    }
  } catch (error) {
    dispose()
    throw error
  }
}

/** Parses the helper's answer: the value on success, else the errno code (a failed open throws). */
export function parseHelperAnswer(stdout: string, what: string): { value: string } | { errno: string } {
  const [status, first, second] = stdout.trim().split(' ')
  if (status === 'ok') return { value: first ?? '' }
  if (status === 'err' && first === 'call') return { errno: getSystemErrorName(-Number(second)) }
  if (status === 'err' && first === 'open') throw new Error(`${what}: opening the file failed with ${getSystemErrorName(-Number(second))}`)
  throw new Error(`${what}: the syscall helper answered ${JSON.stringify(stdout)}`)
}
