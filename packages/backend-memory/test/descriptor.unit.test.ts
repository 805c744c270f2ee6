import { FsError, backendMountOptions, fuseOptionList, isBackendDescriptor, parseBackendOptions, type MountOptions } from '@fusekit/core'
import { container } from 'tsyringe'
import { describe, expect, it } from 'vitest'
import memory, { MemoryFileSystem, memoryBackend } from '../src/index.js'
import { me, MiB, noDirectoryRemovals, noResidentData, silentLogger } from './unit-helpers.js'

const mountedByRoot = process.getuid?.() === 0

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
    const fs = await memory.create({ options, mountpoint: '/unused', mountOptions, logger: silentLogger, container: container.createChildContainer(), residentData: noResidentData, directoryRemovals: noDirectoryRemovals })
    expect(fs).toBeInstanceOf(MemoryFileSystem)
    expect((await fs.statfs!(me, 1)).blocks).toBe((2 * MiB) / 4096)
    await fs.init!()
  })

  it('opens directories with no request unless it checks permissions itself for users other than root', async () => {
    const options = parseBackendOptions(memory, { size: '2M' })
    const create = (chosen: Partial<MountOptions>) =>
      memory.create({ options, mountpoint: '/unused', mountOptions: backendMountOptions(memory, chosen), logger: silentLogger, container, residentData: noResidentData, directoryRemovals: noDirectoryRemovals })
    expect((await create({ defaultPermissions: true })).opendir).toBeUndefined()
    expect((await create({ defaultPermissions: false, allowOther: true })).opendir).toBeTypeOf('function')
    expect((await create({ defaultPermissions: false, fuseOptions: ['allow_other'] })).opendir).toBeTypeOf('function')
    // A private mount: only its owner gets in, and root may open any directory.
    expect((await create({ defaultPermissions: false })).opendir).toEqual(mountedByRoot ? undefined : expect.any(Function))
  })

  it('asks the kernel for permission checks unless only root can reach the mount', () => {
    expect(backendMountOptions(memory).defaultPermissions).toBe(!mountedByRoot)
    expect(backendMountOptions(memory, { allowOther: true }).defaultPermissions).toBe(true)
    expect(backendMountOptions(memory, { fuseOptions: ['allow_other'] }).defaultPermissions).toBe(true)
    // Chosen outright, and others let in: nothing may be cached that would let one user through for another.
    expect(backendMountOptions(memory, { allowOther: true, defaultPermissions: false })).toMatchObject({ defaultPermissions: false, entryTimeout: 0 })
    expect(backendMountOptions(memory, { fuseOptions: ['allow_other'], defaultPermissions: false })).toMatchObject({ defaultPermissions: false, entryTimeout: 0 })
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

  it('on the low-level driver, keeps pages across opens (hard links are one kernel inode); one-second caches', () => {
    const options = backendMountOptions(memory, { driver: 'lowlevel' })
    expect(options).toMatchObject({ kernelCache: true, autoCache: false, writebackCache: false, attrTimeout: 1, entryTimeout: 1, negativeTimeout: 1 })
  })

  it('through fuse-native (each hard-link name its own kernel inode), keeps pages only while size and mtime are unchanged', () => {
    const options = backendMountOptions(memory, { driver: 'fuse-native', allowOther: true })
    expect(options).toMatchObject({ kernelCache: false, autoCache: true, writebackCache: false, defaultPermissions: true })
    expect(fuseOptionList(options)).toEqual(expect.arrayContaining(['auto_cache', 'ac_attr_timeout=0', 'default_permissions', 'negative_timeout=1']))
  })
})
