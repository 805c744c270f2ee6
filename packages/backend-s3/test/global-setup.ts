import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import type { S3TestTarget } from './s3-target.js'

const gatewayScript = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/s3/gateway.sh')

/**
 * One S3 endpoint for the whole run. FUSEKIT_TEST_S3_ENDPOINT with AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY in the environment names one to use (any S3: MinIO, s3rver, AWS);
 * otherwise a throw-away Ceph RADOS Gateway is started (scripts/s3/gateway.sh) and stopped at
 * the end, whether the tests passed or not. Missing Ceph packages fail the run with what to
 * install; nothing is skipped.
 */
export default function setup(project: TestProject): () => void {
  const given = process.env.FUSEKIT_TEST_S3_ENDPOINT
  if (given) {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env
    if (!accessKeyId || !secretAccessKey) {
      throw new Error('FUSEKIT_TEST_S3_ENDPOINT is set: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY with it')
    }
    project.provide('s3', { endpoint: given, accessKeyId, secretAccessKey, region: process.env.AWS_REGION ?? 'us-east-1', gateway: false })
    return () => {}
  }

  const dir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'fusekit-s3-gateway-'))
  const env = { ...process.env, FUSEKIT_S3_GATEWAY_DIR: dir }
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    spawnSync('bash', [gatewayScript, 'stop'], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    // Left when the start failed before using it (stop removes it otherwise).
    try {
      rmdirSync(dir)
    } catch {
      // gone already, or not empty: stop said why
    }
  }
  // A run cut short (Ctrl-C, a crash in the runner) must not leave the daemons behind either.
  process.once('exit', stop)
  try {
    // stdout says where it runs and how long the start took; the secret goes only to DIR/env.
    execFileSync('bash', [gatewayScript, 'start'], { env, stdio: ['ignore', 'inherit', 'pipe'] })
  } catch (error) {
    stop()
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim()
    throw new Error(stderr || `scripts/s3/gateway.sh start failed: ${String(error)}`)
  }
  const values = Object.fromEntries(
    readFileSync(join(dir, 'env'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
  const target: S3TestTarget = {
    endpoint: values.FUSEKIT_TEST_S3_ENDPOINT!,
    accessKeyId: values.AWS_ACCESS_KEY_ID!,
    secretAccessKey: values.AWS_SECRET_ACCESS_KEY!,
    region: values.AWS_REGION ?? 'us-east-1',
    gateway: true,
  }
  project.provide('s3', target)
  return stop
}
