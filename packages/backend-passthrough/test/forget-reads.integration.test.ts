import { execFile } from 'node:child_process'
import { readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { useMount } from '@fusekit/testkit'
import { describe, expect, it } from 'vitest'
import { sourceMountSetup } from './helpers.js'

const run = promisify(execFile)

/** What the mount process's descriptors lead to. */
function descriptorTargets(pid: number): string[] {
  const dir = `/proc/${pid}/fd`
  return readdirSync(dir).flatMap((fd) => {
    try {
      return [readlinkSync(join(dir, fd))]
    } catch {
      return [] // closed meanwhile
    }
  })
}

describe('passthrough mount: the FORGETs the driver logs are read without another request', () => {
  const setup = sourceMountSetup([])
  const mounted = useMount(setup)

  it("closes an unlinked file's descriptor soon after the kernel forgets it, with nothing else asked", async () => {
    const file = join(setup.source(), 'gone')
    writeFileSync(file, 'x'.repeat(4096))
    statSync(join(mounted().dir, 'gone')) // a LOOKUP: the node holds a descriptor of the file
    const pid = mounted().pid
    expect(descriptorTargets(pid)).toContain(file)

    // The UNLINK is answered by the driver; the FORGET after it is logged, and no request follows.
    await run('rm', [join(mounted().dir, 'gone')])
    const deadline = Date.now() + 2000
    while (descriptorTargets(pid).includes(`${file} (deleted)`) && Date.now() < deadline) await sleep(10)
    expect(descriptorTargets(pid)).not.toContain(`${file} (deleted)`)
  })
})
