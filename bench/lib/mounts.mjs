// Mounting and unmounting the things the bench compares: tmpfs, bindfs and fusekit (through its CLI).
// Each mount registers its own undo with the cleanup registry the moment it exists.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onCleanup } from './cleanup.mjs'
import { capture, hasExited, hasMountsUnder, isMounted, sleepSync } from './system.mjs'

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
export const cliBin = join(repoRoot, 'packages/cli/dist/bin.js')

const READY = /^fusekit: mounted \S+ at /
const MOUNT_TIMEOUT_MS = 30_000
const UNMOUNT_TIMEOUT_MS = 15_000

/** A fresh directory under `parent`, removed at the end, and only if nothing is mounted below it. */
export function scratchDir(parent, prefix) {
  const dir = mkdtempSync(join(parent, prefix))
  onCleanup(`scratch directory ${dir}`, () => {
    if (hasMountsUnder(dir)) throw new Error(`something is still mounted below ${dir}: left in place`)
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

export function mountTmpfs(dir, size) {
  const args = ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'fusekit-bench', dir]
  execFileSync('mount', args)
  const unmount = onCleanup(`tmpfs at ${dir}`, () => {
    if (spawnSync('umount', [dir]).status !== 0 && isMounted(dir)) execFileSync('umount', ['-l', dir])
  })
  return { command: `mount ${args.join(' ')}`, unmount }
}

/**
 * bindfs in the foreground (`-f`), so that its one process is our child and can be measured;
 * `fuseOptions` go to libfuse as one -o list.
 */
export async function mountBindfs(source, dir, { fuseOptions = [], flags = [] } = {}) {
  const args = ['-f', '--no-allow-other', ...flags, ...(fuseOptions.length > 0 ? ['-o', fuseOptions.join(',')] : []), source, dir]
  return mountForeground('bindfs', ['bindfs', ...args], {}, dir)
}

/**
 * Runs a FUSE daemon in the foreground, in its own process group, with `envChanges` applied to
 * this process's environment (undefined removes a variable), and waits until its mount shows in
 * /proc/mounts. Unmounting is `fusermount -u`, after which the daemon exits.
 */
export async function mountForeground(name, argv, envChanges, dir) {
  const env = { ...process.env }
  for (const [key, value] of Object.entries(envChanges)) {
    if (value === undefined) delete env[key]
    else env[key] = value
  }
  const child = spawn(argv[0], argv.slice(1), { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr = (stderr + text).slice(-4000)))
  const unmount = onCleanup(`${name} at ${dir}`, () => stopForeground(child, dir))
  const deadline = Date.now() + MOUNT_TIMEOUT_MS
  while (!isMounted(dir)) {
    if (hasExited(child.pid) || Date.now() > deadline) {
      unmount()
      throw new Error(`${name} did not mount ${dir}: ${stderr.trim() || 'no output'}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { command: argv.join(' '), pid: child.pid, unmount }
}

function stopForeground(child, dir) {
  if (isMounted(dir)) fuseUnmount(dir)
  const deadline = Date.now() + UNMOUNT_TIMEOUT_MS
  while (!hasExited(child.pid) && Date.now() < deadline) sleepSync(50)
  if (!hasExited(child.pid)) child.kill('SIGKILL')
}

/**
 * How to name a workspace backend to `fusekit mount`: its short name when the CLI lists it
 * (built in, or installed as a package), else the path of its package directory.
 */
export function backendSpec(name) {
  const listed = capture(process.execPath, [cliBin, 'backends'])
    .split('\n')
    .some((line) => line.split(/\s+/)[0] === name)
  return listed ? name : join(repoRoot, 'packages', `backend-${name}`)
}

/**
 * Runs `fusekit mount <backend> <dir> ...args` in the foreground, in its own process group, and
 * waits for its "mounted" line. Unmounting sends SIGTERM, as a user's Ctrl-C would.
 */
export async function mountFusekit(backend, dir, args = []) {
  const argv = [cliBin, 'mount', backend, dir, ...args]
  const child = spawn(process.execPath, argv, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] })
  const log = []
  let ready = false
  const unmount = onCleanup(`fusekit ${backend} at ${dir}`, () => stopFusekit(child, dir))
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fusekit mount ${backend} did not report ready within ${MOUNT_TIMEOUT_MS / 1000} s:\n${log.join('\n')}`)), MOUNT_TIMEOUT_MS)
    let pending = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()
      for (const line of lines) {
        if (!ready && READY.test(line)) {
          ready = true
          clearTimeout(timer)
          resolve()
        } else if (log.length < 200) {
          log.push(line)
        }
      }
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (!ready) reject(new Error(`fusekit mount ${backend} exited (${signal ?? `code ${code}`}) before mounting:\n${log.join('\n')}`))
    })
  }).catch((error) => {
    unmount()
    throw error
  })
  if (!isMounted(dir)) {
    unmount()
    throw new Error(`fusekit said it mounted ${dir}, but /proc/mounts does not list it`)
  }
  return { command: `node ${argv.map((a) => a.replace(repoRoot, '')).join(' ')}`, pid: child.pid, unmount, log }
}

function stopFusekit(child, dir) {
  if (!hasExited(child.pid)) child.kill('SIGTERM')
  const deadline = Date.now() + UNMOUNT_TIMEOUT_MS
  while (Date.now() < deadline && !(hasExited(child.pid) && !isMounted(dir))) sleepSync(50)
  if (!hasExited(child.pid)) {
    process.stderr.write(`fusekit at ${dir} did not exit within ${UNMOUNT_TIMEOUT_MS / 1000} s of SIGTERM: killing it\n`)
    child.kill('SIGKILL')
  }
  if (isMounted(dir)) {
    process.stderr.write(`${dir} was still mounted after fusekit exited: unmounting it\n`)
    fuseUnmount(dir)
  }
}

function fuseUnmount(dir) {
  if (spawnSync('fusermount', ['-u', dir]).status === 0) return
  if (isMounted(dir)) execFileSync('fusermount', ['-uz', dir])
}

/**
 * The process serving a mount, as the phases see it: its pid (it changes on remount), and
 * remount(), which replaces it by a fresh one (new process, nothing remembered) made by `mount`.
 */
export async function servedBy(mount) {
  let current = await mount()
  return {
    command: current.command,
    log: () => current.log ?? [],
    pid: () => current.pid,
    async remount() {
      current.unmount()
      current = await mount()
    },
  }
}
