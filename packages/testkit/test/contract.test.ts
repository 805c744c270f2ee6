import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contractCases, runContractCases, skipReason, writeSampleTree, type Capability } from '../src/index.js'
import { directoryView } from './fixtures/directory-view.js'

// The in-process tier itself: its read-only cases pass on a correct read-only backend (a local
// directory holding the sample tree, the way tmpfs proves the mount tier), and fail, saying why,
// on backends that break the contract.
const readOnly: Capability[] = ['symlinks', 'hardlinks', 'subsecondTimes', 'nanosecondTimes']
let root = ''

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fusekit-contract-'))
  await writeSampleTree(root)
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('the contract cases', () => {
  it('pass on a read-only backend that shows the sample tree', async () => {
    const results = await runContractCases(directoryView(), { options: { root }, capabilities: readOnly })
    const ran = results.filter((r) => r.status !== 'skipped')
    expect(ran.filter((r) => r.status === 'failed'), JSON.stringify(ran.map((r) => r.status === 'failed' ? String(r.error) : r.name))).toEqual([])
    expect(ran.map((r) => r.name)).toEqual(contractCases.filter((c) => !skipReason(c, new Set(readOnly))).map((c) => c.name))
    expect(ran.length).toBe(7)
  })

  it('fail when an operation throws something other than an FsError (the kernel would get EIO)', async () => {
    const broken = directoryView({ getattr: async (_ctx, path) => { throw new Error(`no idea about ${path}`) } })
    const [result] = await runContractCases(broken, { options: { root }, capabilities: readOnly, cases: contractCases.filter((c) => c.name.includes('missing name is ENOENT')) })
    expect(result?.status).toBe('failed')
    expect(result?.status === 'failed' && String(result.error)).toMatch(/getattr\(\/\) threw Error: no idea about \/ instead of an FsError/)
  })

  it('fail when a read-only backend does not mount read-only by default, or a listing misses a name', async () => {
    const notReadOnly = directoryView({}, false)
    const [defaults] = await runContractCases(notReadOnly, { options: { root }, capabilities: readOnly, cases: contractCases.filter((c) => c.name.includes('mounts read-only by default')) })
    expect(defaults?.status === 'failed' && String(defaults.error)).toMatch(/readOnly/)

    const forgetful = directoryView({ readdir: async () => [{ name: 'hello.txt' }] })
    const [tree] = await runContractCases(forgetful, { options: { root }, capabilities: readOnly, cases: contractCases.filter((c) => c.name.startsWith('the sample tree is there')) })
    expect(tree?.status === 'failed' && String(tree.error)).toMatch(/is listed at the root/)
  })
})
