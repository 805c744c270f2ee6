import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// scripts/s3/gateway.sh itself, on a gateway of its own (the run's is left alone). Excluded from
// runs given an endpoint in the environment (vitest.config.ts): those may have no Ceph.
const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/s3/gateway.sh')
const scratch = mkdtempSync(join(tmpdir(), 'fusekit-s3-script-'))

function gateway(command: string, dir: string, env: Record<string, string> = {}) {
  const run = spawnSync('bash', [script, command], { env: { ...process.env, FUSEKIT_S3_GATEWAY_DIR: dir, ...env }, encoding: 'utf8' })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** Processes whose arguments name this configuration file. */
function processesUsing(conf: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(conf)) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

describe('scripts/s3/gateway.sh', () => {
  afterAll(() => {
    for (const dir of readdirSync(scratch)) if (dir !== 'bin') gateway('stop', join(scratch, dir))
    rmSync(scratch, { recursive: true, force: true })
  })

  it('starts, says where, keeps the secret in a 0600 env file, and stops after a crash, twice', async () => {
    const dir = join(scratch, 'gw')
    const started = gateway('start', dir)
    const env = Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n').map((l) => l.split('=', 2) as [string, string]))
    const secret = env.AWS_SECRET_ACCESS_KEY ?? ''
    // Checked as booleans first: a failed assertion prints its values, and these hold the secret.
    expect(/^[A-Za-z0-9]{40}$/.test(secret)).toBe(true)
    expect((started.stdout + started.stderr).includes(secret)).toBe(false)
    expect(readdirSync(join(dir, 'log')).some((log) => readFileSync(join(dir, 'log', log), 'utf8').includes(secret))).toBe(false)
    expect(started.status).toBe(0)
    expect(Object.keys(env).sort()).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY', 'FUSEKIT_TEST_S3_ENDPOINT'])
    expect(statSync(join(dir, 'env')).mode & 0o777).toBe(0o600)
    expect(started.stdout).toMatch(new RegExp(`^s3 gateway: ready at ${env.FUSEKIT_TEST_S3_ENDPOINT} \\(memstore\\) in \\d+\\.\\d{3} s`))
    expect((await fetch(`${env.FUSEKIT_TEST_S3_ENDPOINT}/`)).status).toBe(200)
    expect(gateway('status', dir)).toMatchObject({ status: 0, stdout: `running at ${env.FUSEKIT_TEST_S3_ENDPOINT}\n` })

    const conf = join(dir, 'ceph.conf')
    expect(processesUsing(conf)).toHaveLength(3)
    // A crash: the monitor killed, the OSD's pid file lost.
    process.kill(Number(readFileSync(join(dir, 'run', 'mon.a.pid'), 'utf8')), 'SIGKILL')
    rmSync(join(dir, 'run', 'osd.0.pid'))
    expect(gateway('status', dir)).toMatchObject({ status: 3, stdout: 'stopped\n' })
    expect(gateway('stop', dir).status).toBe(0)
    expect(processesUsing(conf)).toEqual([])
    expect(existsSync(dir)).toBe(false)
    expect(gateway('stop', dir).status).toBe(0)
    expect(gateway('status', dir)).toMatchObject({ status: 3, stdout: 'stopped\n' })
  })

  it('a start that fails says what, shows the log, and stops what it had started', () => {
    // A radosgw that cannot start, after the monitor and the OSD did.
    const bin = join(scratch, 'bin')
    spawnSync('mkdir', ['-p', bin])
    writeFileSync(join(bin, 'radosgw'), '#!/bin/sh\necho "radosgw: could not bind the port" >&2\nexit 1\n', { mode: 0o755 })
    const dir = join(scratch, 'failing')
    const failed = gateway('start', dir, { PATH: `${bin}:${process.env.PATH}` })
    expect(failed.status).toBe(1)
    expect(failed.stdout).toBe('')
    expect(failed.stderr).toBe(
      's3 gateway: start failed: radosgw (log: log/client.rgw.a.log, last lines below)\n    radosgw: could not bind the port\n',
    )
    expect(existsSync(dir)).toBe(false)
    expect(processesUsing(join(dir, 'ceph.conf'))).toEqual([])
  })

  it('stop refuses a directory that is not a gateway', () => {
    const dir = join(scratch, 'not-a-gateway')
    const kept = join(dir, 'precious')
    rmSync(dir, { recursive: true, force: true })
    spawnSync('mkdir', ['-p', dir])
    writeFileSync(kept, 'data')
    const refused = gateway('stop', dir)
    expect(refused.status).toBe(1)
    expect(refused.stderr).toContain('refusing to remove')
    expect(readFileSync(kept, 'utf8')).toBe('data')
  })
})
