import { describe, expect, it } from 'vitest'
import { PathNodes } from '../src/bridges/path-nodes.js'
import { ROOT_INO as ROOT_ID } from '../src/inode-operations.js'

describe('PathNodes', () => {
  it('gives one node per name and counts its lookups until the kernel forgets them', () => {
    const nodes = new PathNodes()
    const a = nodes.lookup(ROOT_ID, 'a')
    expect(nodes.lookup(ROOT_ID, 'a')).toBe(a)
    expect(nodes.path(a)).toBe('/a')
    expect(nodes.forget(a, 1)).toBe(false)
    expect(nodes.forget(a, 1)).toBe(true)
    expect(nodes.path(a)).toBeUndefined()
    expect(nodes.lookup(ROOT_ID, 'a')).not.toBe(a)
  })

  it('moves everything below a renamed directory', () => {
    const nodes = new PathNodes()
    const dir = nodes.lookup(ROOT_ID, 'dir')
    const sub = nodes.lookup(dir, 'sub')
    const file = nodes.lookup(sub, 'file')
    const other = nodes.lookup(ROOT_ID, 'other')
    nodes.rename(ROOT_ID, 'dir', other, 'moved')
    expect([nodes.path(dir), nodes.path(sub), nodes.path(file)]).toEqual(['/other/moved', '/other/moved/sub', '/other/moved/sub/file'])
    expect(nodes.lookup(other, 'moved')).toBe(dir)
  })

  it('keeps the last path of an unlinked node and of one replaced by a rename', () => {
    const nodes = new PathNodes()
    const gone = nodes.lookup(ROOT_ID, 'gone')
    nodes.remove(ROOT_ID, 'gone')
    expect([nodes.path(gone), nodes.isDetached(gone)]).toEqual(['/gone', true])
    expect(nodes.lookup(ROOT_ID, 'gone')).not.toBe(gone)

    const source = nodes.lookup(ROOT_ID, 'source')
    const target = nodes.lookup(ROOT_ID, 'target')
    nodes.rename(ROOT_ID, 'source', ROOT_ID, 'target')
    expect([nodes.path(source), nodes.path(target), nodes.isDetached(target)]).toEqual(['/target', '/target', true])
    // Forgetting the replaced node must not take the name from the node now holding it.
    nodes.forget(target, 1)
    expect(nodes.lookup(ROOT_ID, 'target')).toBe(source)
  })

  it('never forgets the root', () => {
    const nodes = new PathNodes()
    expect(nodes.forget(ROOT_ID, 5)).toBe(false)
    expect(nodes.path(ROOT_ID)).toBe('/')
  })
})
