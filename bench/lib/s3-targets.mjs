// What the S3 bench compares, on one Ceph RADOS Gateway started for the run: the fusekit S3 backend
// (exact and fast listing), s3fs-fuse, rclone mount, and the raw SDK. Each mount runs in the
// foreground as a child process, so its CPU time and memory can be read from /proc, and registers
// its undo with the cleanup registry the moment it exists.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { onCleanup } from './cleanup.mjs'
import { backendSpec, mountForeground, mountFusekit, repoRoot, scratchDir } from './mounts.mjs'
import { capture } from './system.mjs'

const gatewayScript = join(repoRoot, 'scripts/s3/gateway.sh')

/**
 * Starts a throw-away gateway (scripts/s3/gateway.sh) on `store` (memstore or bluestore) and puts
 * its endpoint and keys into this process's environment, where the SDK and the mounts take them.
 */
export function startGateway(parent, store) {
  const dir = join(scratchDir(parent, 'fusekit-bench-s3-'), 'gateway')
  const env = { ...process.env, FUSEKIT_S3_GATEWAY_DIR: dir, FUSEKIT_S3_GATEWAY_STORE: store }
  onCleanup(`S3 gateway in ${dir}`, () => execFileSync('bash', [gatewayScript, 'stop'], { env, stdio: ['ignore', 'ignore', 'inherit'] }))
  const started = execFileSync('bash', [gatewayScript, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const at = line.indexOf('=')
    if (at > 0) process.env[line.slice(0, at)] = line.slice(at + 1)
  }
  delete process.env.AWS_PROFILE
  delete process.env.AWS_SESSION_TOKEN
  return { endpoint: process.env.FUSEKIT_TEST_S3_ENDPOINT, started }
}

/** The versions of what is compared, for the header. */
export function s3Versions() {
  const first = (command, args) => {
    try {
      return capture(command, args).split('\n')[0]
    } catch {
      return 'unknown'
    }
  }
  return {
    s3fs: first('s3fs', ['--version']),
    rclone: first('rclone', ['version']),
    ceph: first('radosgw', ['--version']),
  }
}

/**
 * The mounted targets, each in its own mountpoint under `root`, all on `bucket`: a target has a
 * name, its mountpoint, its own directory in the bucket to work in (`work`, named after it), the
 * pid of the process serving it, and remount() for a cold start.
 */
export async function mountTargets(root, bucket, endpoint, fusekitArgs) {
  const dir = (name) => {
    const path = join(root, name)
    mkdirSync(path, { recursive: true })
    return path
  }
  const s3Flags = ['--bucket', bucket, '--endpoint', endpoint, ...fusekitArgs]
  return [
    await remountable('fusekit', dir('fusekit'), (d) => mountFusekit(backendSpec('s3'), d, s3Flags)),
    await remountable('fusekit-fast', dir('fusekit-fast'), (d) => mountFusekit(backendSpec('s3'), d, [...s3Flags, '--list-mode', 'fast'])),
    await remountable('s3fs', dir('s3fs'), (d) =>
      mountForeground('s3fs', ['s3fs', bucket, d, '-f', '-o', `url=${endpoint}`, '-o', 'use_path_request_style'], {
        // s3fs 1.90 reads its keys from these two variables (or a password file).
        AWSACCESSKEYID: process.env.AWS_ACCESS_KEY_ID,
        AWSSECRETACCESSKEY: process.env.AWS_SECRET_ACCESS_KEY,
      }, d),
    ),
    await remountable('rclone', dir('rclone'), (d) =>
      mountForeground(
        'rclone',
        ['rclone', 'mount', `:s3:${bucket}`, d, '--s3-provider', 'Ceph', '--s3-env-auth', '--s3-endpoint', endpoint],
        // rclone 1.60 fails on the machine's AWS_CA_BUNDLE ("LoadCustomCABundleError").
        { AWS_CA_BUNDLE: undefined },
        d,
      ),
    ),
  ]
}

/** The raw SDK target: no mount, the workload process is measured instead. */
export const rawTarget = { name: 'raw SDK', raw: true, commands: ['node bench/workloads/s3-raw.mjs (one process per phase)'] }

async function remountable(name, dir, mount) {
  const target = { name, dir, work: join(dir, name), raw: false, mounted: await mount(dir), log: [] }
  target.commands = [target.mounted.command]
  target.pid = () => target.mounted.pid
  target.remount = async () => {
    target.mounted.unmount()
    target.mounted = await mount(dir)
  }
  return target
}
