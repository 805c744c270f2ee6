import { FsError, backendMountOptions, fuseOptionList, isBackendDescriptor, parseBackendOptions } from '@fusekit/core'
import { container } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import memory, { MemoryFileSystem, memoryBackend } from '../src/index.js'
import { me, MiB, noResidentData, silentLogger } from './unit-helpers.js'

describe('the memory backend descriptor', () => {
  it('is the default export, a backend named "memory"', () => {
    expect(memory).toBe(memoryBackend)
    expect(isBackendDescriptor(memory)).toBe(true)
    expect(memory).toMatchObject({ apiVersion: 2, layer: 'inode', name: 'memory' })
    expect(memory.description).toMatch(/RAM/)
  })

  it('creates a MemoryFileSystem from the parsed options and the mount options', async () => {
    const options = parseBackendOptions(memory, { size: '2M' })
    const mountOptions = backendMountOptions(memory)
    const fs = await memory.create({ options, mountpoint: '/unused', mountOptions, logger: silentLogger, container: container.createChildContainer(), residentData: noResidentData })
    expect(fs).toBeInstanceOf(MemoryFileSystem)
    expect((await fs.statfs!(me, 1)).blocks).toBe((2 * MiB) / 4096)
    await fs.init!()
  })

  it('opens directories with no request unless it checks permissions itself (no default_permissions)', async () => {
    const options = parseBackendOptions(memory, { size: '2M' })
    const create = (defaultPermissions: boolean) =>
      memory.create({ options, mountpoint: '/unused', mountOptions: backendMountOptions(memory, { defaultPermissions }), logger: silentLogger, container, residentData: noResidentData })
    expect((await create(true)).opendir).toBeUndefined()
    expect((await create(false)).opendir).toBeTypeOf('function')
  })

  it('turns an invalid size into EINVAL with the reason', () => {
    const error = (() => {
      try {
        parseBackendOptions(memory, { size: 'huge' })
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(FsError)
    expect((error as FsError).code).toBe('EINVAL')
    expect((error as FsError).message).toMatch(/"huge" is not understood/)
  })

  it('on the low-level driver, keeps pages across opens (hard links are one kernel inode); one-second caches and kernel permission checks', () => {
    const options = backendMountOptions(memory, { driver: 'lowlevel' })
    expect(options).toMatchObject({ kernelCache: true, autoCache: false, writebackCache: false, attrTimeout: 1, entryTimeout: 1, negativeTimeout: 1, defaultPermissions: true })
  })

  it('through fuse-native (each hard-link name its own kernel inode), keeps pages only while size and mtime are unchanged', () => {
    const options = backendMountOptions(memory, { driver: 'fuse-native' })
    expect(options).toMatchObject({ kernelCache: false, autoCache: true, writebackCache: false, defaultPermissions: true })
    expect(fuseOptionList(options)).toEqual(expect.arrayContaining(['auto_cache', 'ac_attr_timeout=0', 'default_permissions', 'negative_timeout=1']))
  })
})
