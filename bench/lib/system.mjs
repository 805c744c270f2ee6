import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { readFileSync, realpathSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { trackChild } from './cleanup.mjs'

/**
 * Runs a command as a child process and measures its wall time from spawn to exit.
 * Rejects with its stderr when it fails. `stdout: 'pipe'` collects standard output.
 */
export function exec(command, args, { stdout = 'ignore', cwd } = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(command, args, { stdio: ['ignore', stdout, 'pipe'], cwd })
    trackChild(child)
    let out = ''
    let err = ''
    child.stdout?.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (err += chunk))
    child.once('error', reject)
    child.once('exit', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      // 'exit' can come before the pipes are drained; 'close' comes after both.
      child.once('close', () => {
        if (code === 0) resolve({ ms, stdout: out, stderr: err })
        else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}): ${err.trim()}`))
      })
    })
  })
}

/** Runs a short command synchronously and returns its trimmed standard output. */
export function capture(command, args) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

export function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

/** Flushes dirty data, then drops the page cache, dentries and inodes (needs root). */
export function dropCaches() {
  spawnSync('sync')
  writeFileSync('/proc/sys/vm/drop_caches', '3')
}

/**
 * Touches `mib` MiB of memory and frees it again, just before a timed phase. These VMs report
 * free memory to their host (virtio-balloon free page reporting, 2 MiB blocks, 2 s after they
 * are freed); the first touch of such a page costs a fault in the host, paid by whichever
 * process touches it first. Freed here a moment before, the next phase's fresh pages (a staging
 * file's page cache, the page cache a FUSE server fills for a reader) are pages the host still
 * backs, whatever ran before: every target starts alike.
 */
export function warmMemory(mib) {
  spawnSync('sh', ['-c', 'dd if=/dev/zero of=/dev/shm/fusekit-bench-warm bs=1M count="$1" status=none; rm -f /dev/shm/fusekit-bench-warm', 'sh', String(mib)])
}

export function sync() {
  spawnSync('sync')
}

/** Mountpoints from /proc/self/mounts (the kernel escapes spaces and friends as octal). */
export function mountpoints() {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[1].replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(parseInt(octal, 8))))
}

export function isMounted(dir) {
  return mountpoints().includes(realpathSync(dir))
}

/** Whether anything is mounted at or below `dir`. */
export function hasMountsUnder(dir) {
  const root = realpathSync(dir)
  return mountpoints().some((m) => m === root || m.startsWith(root + '/'))
}

/** Blocks the thread for `ms` (cleanup steps are synchronous and may need to wait). */
export function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Whether a process has exited (gone, or a zombie not reaped yet). */
export function hasExited(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** What the figures were measured on. */
export function machineInfo() {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return {
    date: new Date().toISOString(),
    host: os.hostname(),
    cpu: `${os.availableParallelism()} × ${cpu}`,
    kernel: `${os.type()} ${os.release()}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    'load average': os.loadavg().map((l) => l.toFixed(2)).join(' '),
    nice: String(os.getPriority()),
  }
}

/** The filesystem type and device a path lives on, as findmnt reports it. */
export function filesystemOf(path) {
  try {
    return capture('findmnt', ['-n', '--first-only', '-o', 'FSTYPE,SOURCE', '-T', path]).replace(/\s+/, ' on ')
  } catch {
    return 'unknown'
  }
}
