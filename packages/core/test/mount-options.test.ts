import { describe, expect, it } from 'vitest'
import { backendMountOptions } from '../src/backend.js'
import { FsError } from '../src/errno.js'
import { fuseOptionList, resolveMountOptions } from '../src/mount-options.js'

describe('resolveMountOptions', () => {
  it('layers backend defaults and user choices over the core defaults', () => {
    const o = resolveMountOptions({ kernelCache: true, attrTimeout: 5 }, { attrTimeout: 2 })
    expect(o.kernelCache).toBe(true)
    expect(o.attrTimeout).toBe(2)
    expect(o.maxWrite).toBe(1 << 20)
  })

  it('resolves the auto driver to lowlevel for every user, unless a raw option only libfuse knows is given', () => {
    expect(resolveMountOptions().driver).toBe('lowlevel')
    expect(resolveMountOptions({ fuseOptions: ['nonempty', 'noatime', 'auto_unmount'] }).driver).toBe('lowlevel')
    expect(resolveMountOptions({ fuseOptions: ['splice_read'] }).driver).toBe('fuse-native')
    // Known to neither: refused by the low-level driver, never handed to libfuse (which would fail after mounting).
    expect(() => resolveMountOptions({ fuseOptions: ['colour=red'] })).toThrow(/'colour=red' \(unknown to the low-level driver\)/)
    expect(() => resolveMountOptions({ driver: 'fuse-native', fuseOptions: ['colour=red'] })).toThrow(/libfuse 2 does not know 'colour=red'/)
    expect(resolveMountOptions({ driver: 'fuse-native' }).driver).toBe('fuse-native')
  })

  it('keeps the machine as it is by default: no hot loop, no operation timeout', () => {
    expect(resolveMountOptions()).toMatchObject({ hotLoop: 'off', opTimeout: 0 })
  })

  it('takes writes up to 1 MiB with the low-level driver, 128 KiB with fuse-native, each its largest by default', () => {
    expect(resolveMountOptions({ driver: 'lowlevel' }).maxWrite).toBe(1 << 20)
    expect(resolveMountOptions({ driver: 'fuse-native' }).maxWrite).toBe(131072)
    expect(resolveMountOptions({ driver: 'lowlevel', maxWrite: 1 << 20 }).maxWrite).toBe(1 << 20)
    expect(() => resolveMountOptions({ driver: 'fuse-native', maxWrite: 1 << 20 })).toThrow(/maxWrite must be an integer from 4096 to 131072/)
  })

  it('ignores undefined values in a layer', () => {
    expect(resolveMountOptions({ attrTimeout: undefined }).attrTimeout).toBe(1)
  })

  it.each([
    [{ attrTimeout: -1 }, /attrTimeout must be a number >= 0/],
    [{ fsname: 'a,b' }, /fsname may hold only/],
    [{ kernelCache: true, autoCache: true }, /exclude each other/],
    [{ driver: 'fuse-native' as const, writebackCache: true }, /writebackCache needs the lowlevel driver/],
    [{ fuseOptions: ['allow_other,ro'] }, /is not a FUSE option/],
    [{ driver: 'libfuse3' as never }, /driver must be auto, fuse-native or lowlevel/],
    [{ hotLoop: 'spin' as never }, /hotLoop must be off, cpu-latency or event-loop, got "spin"/],
    [{ readdirplus: 'yes' as never }, /readdirplus must be auto, always or off, got "yes"/],
    [{ driver: 'fuse-native' as const, readdirplus: 'always' as const }, /readdirplus always needs the lowlevel driver/],
    [{ driver: 'lowlevel' as const, maxWrite: 2 << 20 }, /maxWrite must be an integer from 4096 to 1048576/],
    [{ driver: 'lowlevel' as const, fuseOptions: ['nonempty', 'splice_read'] }, /raw mount option refused by the low-level driver: 'splice_read' \(unknown to the low-level driver\); use the mount flags, or --driver fuse-native/],
  ])('refuses %j with EINVAL', (layer, message) => {
    const error = (() => { try { resolveMountOptions(layer) } catch (e) { return e } })()
    expect(error).toBeInstanceOf(FsError)
    expect((error as FsError).code).toBe('EINVAL')
    expect((error as FsError).message).toMatch(message)
  })
})

describe('fuseOptionList', () => {
  it('always asks for real inode numbers and 128 KiB writes', () => {
    expect(fuseOptionList(resolveMountOptions({ driver: 'fuse-native' }))).toEqual(expect.arrayContaining(['use_ino', 'big_writes', 'max_write=131072']))
  })

  it('keeps zero timeouts, which fuse-native would drop', () => {
    const list = fuseOptionList(resolveMountOptions({ attrTimeout: 0, entryTimeout: 0 }))
    expect(list).toContain('attr_timeout=0')
    expect(list).toContain('entry_timeout=0')
  })

  it('maps the typed options and appends raw ones', () => {
    const list = fuseOptionList(resolveMountOptions({ readOnly: true, allowOther: true, autoCache: true, fsname: 'src', subtype: 'memory', fuseOptions: ['noatime'] }))
    expect(list).toEqual(expect.arrayContaining(['ro', 'allow_other', 'auto_cache', 'default_permissions', 'fsname=src', 'subtype=memory']))
    expect(list.at(-1)).toBe('noatime')
    expect(list).not.toContain('kernel_cache')
  })

  it('keeps the mount private unless allowOther is set', () => {
    expect(fuseOptionList(resolveMountOptions())).not.toContain('allow_other')
  })
})

describe('backendMountOptions', () => {
  const backend = { name: 'mirror', mountDefaults: { defaultPermissions: false, attrTimeout: 5 } }

  it("layers the backend's defaults over the core's, and the chosen options over both", () => {
    expect(backendMountOptions(backend)).toMatchObject({ fsname: 'mirror', subtype: 'mirror', defaultPermissions: false, attrTimeout: 5 })
    expect(backendMountOptions(backend, { attrTimeout: 2 }).attrTimeout).toBe(2)
  })

  it('turns the kernel permission checks on with allowOther, unless they were turned off explicitly', () => {
    expect(backendMountOptions(backend, { allowOther: true }).defaultPermissions).toBe(true)
    expect(backendMountOptions(backend, { allowOther: true, defaultPermissions: false }).defaultPermissions).toBe(false)
  })

  it('takes a backend\'s defaults for the driver the mount gets', () => {
    const byDriver = { name: 'x', mountDefaults: (driver: 'lowlevel' | 'fuse-native') => (driver === 'lowlevel' ? { writebackCache: true } : { autoCache: true }) }
    expect(backendMountOptions(byDriver)).toMatchObject({ driver: 'lowlevel', writebackCache: true, autoCache: false })
    expect(backendMountOptions(byDriver, { driver: 'fuse-native' })).toMatchObject({ driver: 'fuse-native', writebackCache: false, autoCache: true })
  })

  it('caches no names when other users are let in and the backend checks permissions itself', () => {
    expect(backendMountOptions(backend, { allowOther: true, defaultPermissions: false, entryTimeout: 5 }).entryTimeout).toBe(0)
    expect(backendMountOptions(backend, { allowOther: true, entryTimeout: 5 }).entryTimeout).toBe(5)
    expect(backendMountOptions(backend, { entryTimeout: 5 }).entryTimeout).toBe(5)
  })
})
