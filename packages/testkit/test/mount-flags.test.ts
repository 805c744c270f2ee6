import { describe, expect, it } from 'vitest'
import { backendLabel, mountSpec } from '../src/backend-under-test.js'
import { backendOptionFlags, mountOptionFlags } from '../src/mount-flags.js'
import { defineBackend } from '@fusekit/core'
import { z } from 'zod'

describe('what describeBackend hands fusekit mount', () => {
  it('gives backend options as the flags the CLI derives from the schema', () => {
    expect(backendOptionFlags({ source: '/data', sizeLimit: 10, readOnly: true, cache: false, tags: ['a', '-b'], filter: { x: 1 }, unset: undefined })).toEqual([
      '--source=/data', '--size-limit=10', '--read-only', '--no-cache', '--tags=a', '--tags=-b', '--filter={"x":1}',
    ])
  })

  it('gives mount options as mount flags, raw FUSE options as -o', () => {
    expect(mountOptionFlags({ allowOther: true, defaultPermissions: false, attrTimeout: 0, fuseOptions: ['allow_root', 'noatime'] })).toEqual([
      '--allow-other', '--no-default-permissions', '--attr-timeout=0', '-o', 'allow_root', '-o', 'noatime',
    ])
  })

  it('mounts a descriptor by its name unless a module is given, a URL by its path, a relative path absolute', () => {
    const hello = defineBackend({ apiVersion: 2, layer: 'path', name: 'hello', description: 'test', options: z.object({}), create: () => ({ getattr: async () => { throw new Error('unused') } }) })
    expect(mountSpec(hello)).toBe('hello')
    expect(mountSpec(hello, new URL('file:///pkg/dist/index.js'))).toBe('/pkg/dist/index.js')
    expect(mountSpec(new URL('file:///pkg/dist/index.js'))).toBe('/pkg/dist/index.js')
    expect(mountSpec('./dist/index.js')).toBe(`${process.cwd()}/dist/index.js`)
    expect(mountSpec('memory')).toBe('memory')
    expect(backendLabel(hello)).toBe('hello')
  })
})
