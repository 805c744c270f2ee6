import { resolveMountOptions } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import { defaultLogFile } from '../src/mount-helper/background.js'
import { fstabArguments, helperOptions } from '../src/mount-helper/fstab-options.js'
import { parseHelperArgs } from '../src/mount-helper/helper-args.js'
import { runMountHelper } from '../src/mount-helper/run.js'
import type { FlagSpec } from '../src/options/flags.js'
import { mountFlags } from '../src/options/mount-flags.js'

const flags: FlagSpec[] = [
  { name: 'size', takesValue: true, label: 'number|string' },
  { name: 'shout', takesValue: false },
  ...mountFlags(resolveMountOptions()),
]

describe('mount.fusekit arguments', () => {
  it("takes mount(8)'s calling convention: spec, directory, then -sfnv, -o and -t in any grouping", () => {
    expect(parseHelperArgs(['memory', '/mnt/scratch', '-o', 'rw,size=1G'])).toEqual({ spec: 'memory', mountpoint: '/mnt/scratch', options: ['rw', 'size=1G'], fake: false, verbose: false })
    expect(parseHelperArgs(['memory', '/mnt/x', '-sfnv', '-ononempty', '-t', 'fusekit', '-o', 'ro'])).toEqual({
      spec: 'memory',
      mountpoint: '/mnt/x',
      options: ['nonempty', 'ro'],
      fake: true,
      verbose: true,
    })
    expect(parseHelperArgs(['-v', 'memory', '/mnt/x']).verbose).toBe(true)
  })

  it('refuses what it does not know, and a missing directory', () => {
    expect(() => parseHelperArgs(['memory'])).toThrow(new UsageError('needs a backend and a mountpoint (usage: mount.fusekit <backend or named mount> <mountpoint> [-sfnv] [-o option[,option...]])'))
    expect(() => parseHelperArgs(['memory', '/mnt/x', '-q'])).toThrow(/^unknown option -q /)
    expect(() => parseHelperArgs(['memory', '/mnt/x', '-o'])).toThrow(/^-o needs a value/)
    expect(() => parseHelperArgs(['memory', '/mnt/x', '-N', '/proc/1/ns/mnt'])).toThrow('-N (mounting in another namespace) is not supported')
    expect(() => parseHelperArgs(['memory', '/mnt/x', '/mnt/y'])).toThrow(/^unexpected argument "\/mnt\/y"/)
  })
})

describe('mount.fusekit', () => {
  it('prints its usage with --help', async () => {
    let out = ''
    expect(await runMountHelper(['--help'], { stdout: (text) => (out += text) })).toBe(0)
    expect(out).toMatch(/^Usage: mount\.fusekit <backend or named mount> <mountpoint> /)
    expect(out).toContain('memory /mnt/scratch fusekit defaults,size=1G 0 0')
  })

  it("exits as mount(8) says a helper does: 1 for a wrong invocation, with one line", async () => {
    let err = ''
    expect(await runMountHelper(['memory'], { stderr: (text) => (err += text) })).toBe(1)
    expect(err).toBe('mount.fusekit: error: needs a backend and a mountpoint (usage: mount.fusekit <backend or named mount> <mountpoint> [-sfnv] [-o option[,option...]])\n')
  })
})

describe('fstab options', () => {
  it("take out the helper's own log= and config=", () => {
    expect(helperOptions(['rw', 'log=/tmp/x.log', 'size=1G', 'config=/etc/fusekit/fusekit.config.json'])).toEqual({
      log: '/tmp/x.log',
      config: '/etc/fusekit/fusekit.config.json',
      rest: ['rw', 'size=1G'],
    })
  })

  it("become flags, raw FUSE options, or nothing for mount(8)'s own", () => {
    const options = ['defaults', 'rw', 'auto', 'noauto', 'user', 'user=alice', 'users', 'nofail', '_netdev', 'x-systemd.automount', 'comment=x', 'size=1G', 'shout', 'ro', 'allow_other', 'default_permissions=false', 'attr_timeout=0.5', 'noatime', 'nosuid', 'max_read=65536']
    expect(fstabArguments(options, flags)).toEqual([
      '--size=1G',
      '--shout',
      '--read-only',
      '--allow-other',
      '--default-permissions=false',
      '--attr-timeout=0.5',
      '-o',
      'noatime',
      '-o',
      'nosuid',
      '-o',
      'max_read=65536',
    ])
  })

  it('need a value for an option that takes one', () => {
    expect(() => fstabArguments(['size'], flags)).toThrow(new UsageError('option size needs a value: size=<number|string>'))
  })
})

describe('the log of a mount', () => {
  it('is named after the mountpoint, as systemd names mount units', () => {
    expect(defaultLogFile('/mnt/scratch')).toBe('/var/log/fusekit/mnt-scratch.log')
    expect(defaultLogFile('/srv//data/')).toBe('/var/log/fusekit/srv-data.log')
    expect(defaultLogFile('/')).toBe('/var/log/fusekit/-.log')
  })
})
