import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { startMount, type MountProcess } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** Whether this kernel lets a FUSE server hand it backing files (CONFIG_FUSE_PASSTHROUGH, Linux 6.9+). */
function kernelHasPassthrough(): boolean {
  try {
    return /^CONFIG_FUSE_PASSTHROUGH=y$/m.test(gunzipSync(readFileSync('/proc/config.gz')).toString())
  } catch {
    const [major = 0, minor = 0] = release().split('.').map(Number)
    return major > 6 || (major === 6 && minor >= 9)
  }
}

describe('passthrough mount with the lowlevel driver: reads and writes', () => {
  let base: string
  let mount: MountProcess

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-io-'))
    mount = await startMount({ backend: 'passthrough', args: ['--source', base, '--driver', 'lowlevel', '--debug'] })
  })

  afterAll(async () => {
    try {
      if (mount) expect(await mount.stop(), mount.output()).toBe(0)
    } finally {
      await rm(base, { recursive: true, force: true })
    }
  })

  it('are done by the kernel on the source file itself where it can (FUSE passthrough), with the same data either way', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17)
    await writeFile(join(mount.dir, 'big'), data)
    expect((await readFile(join(base, 'big'))).equals(data)).toBe(true)
    await writeFile(join(base, 'big'), data.subarray(0, 1000))
    expect((await readFile(join(mount.dir, 'big'))).equals(data.subarray(0, 1000))).toBe(true)

    const trace = mount.output()
    expect(trace).toMatch(/debug: create\("\/big"/)
    const backendIo = /debug: (read|write)\("\/big"/.test(trace)
    expect(backendIo, trace.slice(-2000)).toBe(!kernelHasPassthrough())
  })
})
