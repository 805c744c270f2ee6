import { readFile, rm, writeFile } from 'node:fs/promises'
import { allCapabilities, describeBackend, ensureTestUsers, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryBackend } from '../src/index.js'

// An ordinary user mounts with the low-level driver through fusermount. `-o allow_root` lets
// this (root) test process in, which fusermount allows only with user_allow_other in
// /etc/fuse.conf: set for the file's duration, then put back as it was.
const FUSE_CONF = '/etc/fuse.conf'
let fuseConf: string | undefined

beforeAll(async () => {
  fuseConf = await readFile(FUSE_CONF, 'utf8').catch(() => undefined)
  if (!/^user_allow_other\s*$/m.test(fuseConf ?? '')) await writeFile(FUSE_CONF, `${fuseConf ?? ''}\nuser_allow_other\n`)
})

afterAll(async () => {
  if (fuseConf === undefined) await rm(FUSE_CONF, { force: true })
  else await writeFile(FUSE_CONF, fuseConf)
})

const mounter = async () => (await ensureTestUsers()).users.bob

describe('memory mounted by an ordinary user', () => {
  it('runs as that user, mounted through fusermount with its ids in the mount table', async () => {
    const user = await mounter()
    const mount = await startMount({ backend: 'memory', args: ['--driver', 'lowlevel', '-o', 'allow_root'], user })
    try {
      const status = await readFile(`/proc/${mount.pid}/status`, 'utf8')
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(user.uid))
      const entry = (await readFile('/proc/self/mounts', 'utf8')).split('\n').find((line) => line.split(' ')[1] === mount.dir)
      expect(entry).toContain(`user_id=${user.uid},group_id=${user.gid}`)
      expect(entry).toContain('allow_other')
    } finally {
      expect(await mount.stop(), mount.output()).toBe(0)
    }
  })
})

// allow_root lets only root in besides the mounting user: no cases as other users.
describeBackend(memoryBackend, {
  capabilities: allCapabilities.filter((c) => c !== 'otherUsers'),
  mountOptions: { fuseOptions: ['allow_root'] },
  user: mounter,
  unsupported: 'omit',
  title: 'memory mounted by an ordinary user (lowlevel driver through fusermount)',
})
