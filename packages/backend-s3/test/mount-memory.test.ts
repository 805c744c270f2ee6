import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { run } from '@fusekit/testkit'
import { expect, it } from 'vitest'
import { mountFreshBucket } from './s3-mounts.js'

const MiB = 1024 * 1024
const LIMIT_MIB = 300

/** VmRSS of a process, in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024
}

it(`the mount process stays under ${LIMIT_MIB} MiB of RSS while 1 GiB is written and read back sequentially`, async () => {
  const { mount } = await mountFreshBucket()
  let peak = 0
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(mount.pid))), 100)
  try {
    const path = join(mount.dir, 'big.bin')
    await run('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M', 'count=1024', 'conv=fsync', 'status=none'])
    await writeFile('/proc/sys/vm/drop_caches', '3')
    const { stdout } = await run('sh', ['-c', 'dd if="$1" bs=1M status=none | wc -c', 'sh', path])
    expect(Number(stdout.trim())).toBe(1024 * MiB)
  } finally {
    clearInterval(sampler)
    peak = Math.max(peak, rssMiB(mount.pid))
    expect(await mount.stop()).toBe(0)
  }
  console.log(`peak RSS of the mount: ${peak.toFixed(0)} MiB`)
  expect(peak).toBeGreaterThan(0)
  expect(peak).toBeLessThan(LIMIT_MIB)
})
