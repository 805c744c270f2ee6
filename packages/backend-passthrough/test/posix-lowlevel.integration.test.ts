import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describePosixSuite } from '@fusekit/testkit'

let source: string | undefined

describePosixSuite('passthrough (lowlevel driver)', {
  backend: 'passthrough',
  args: async () => {
    source = await mkdtemp(join(tmpdir(), 'fusekit-passthrough-source-'))
    return ['--source', source, '--driver', 'lowlevel']
  },
  timePrecision: 'nanosecond',
  teardown: async () => {
    if (source) await rm(source, { recursive: true, force: true })
  },
})
