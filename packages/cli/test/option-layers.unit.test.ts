import { defineBackend, resolveMountOptions } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { NamedMount } from '../src/config/config-file.js'
import { UsageError } from '../src/errors.js'
import { envOptions, envVariable } from '../src/options/env-options.js'
import { parseArgs } from '../src/options/flags.js'
import { mountFlags } from '../src/options/mount-flags.js'
import { layerOptions } from '../src/options/option-layers.js'
import { backendFlags } from '../src/options/schema-flags.js'

const backend = defineBackend({
  apiVersion: 2,
  layer: 'path',
  name: 'cloud-store',
  description: 'a sample',
  options: z.object({
    bucket: z.string().min(1),
    maxConnections: z.number().int().positive().default(4),
    readOnly: z.boolean().default(false),
    tags: z.array(z.string()).optional(),
    secretKey: z.string().min(8).optional(),
  }),
  secretOptions: ['secretKey'],
  create: () => ({ getattr: async () => ({}) as never }),
})

const ownFlags = backendFlags(backend)
const commonFlags = mountFlags(resolveMountOptions())
const flags = [...ownFlags, ...commonFlags.filter((f) => !ownFlags.some((own) => own.name === f.name))]
const FILE = '/home/a/fusekit.config.json'

function entry(options: Record<string, unknown>, mountOptions: NamedMount['mountOptions'] = {}): NamedMount {
  return { name: 'photos', file: FILE, backend: 'cloud-store', mountpoint: '/mnt/photos', options, mountOptions }
}

function layer(args: string[], env: NodeJS.ProcessEnv = {}, named?: NamedMount, secrets: string[] = []) {
  const flagValues = parseArgs(args, flags, 'help').values
  return layerOptions({ descriptor: backend, ownFlags, commonFlags, flagValues, env, entry: named, secrets })
}

describe('environment variables', () => {
  it('are named FUSEKIT_<BACKEND>_<OPTION>, upper case, dashes and camelCase as underscores', () => {
    expect(ownFlags.map((flag) => envVariable(backend.name, flag))).toEqual([
      'FUSEKIT_CLOUD_STORE_BUCKET',
      'FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS',
      'FUSEKIT_CLOUD_STORE_READ_ONLY',
      'FUSEKIT_CLOUD_STORE_TAGS',
      'FUSEKIT_CLOUD_STORE_SECRET_KEY',
    ])
  })

  it('are parsed as flags are: numbers, switches as true/false, lists as one value or a JSON array', () => {
    const env = { FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS: '16', FUSEKIT_CLOUD_STORE_READ_ONLY: 'true', FUSEKIT_CLOUD_STORE_TAGS: '["a", "b"]' }
    expect(Object.fromEntries(envOptions(backend.name, ownFlags, env).values)).toEqual({ 'max-connections': 16, 'read-only': true, tags: ['a', 'b'] })
    expect(envOptions(backend.name, ownFlags, { FUSEKIT_CLOUD_STORE_TAGS: 'one' }).values.get('tags')).toEqual(['one'])
  })

  it('fail naming the variable, never echoing a secret', () => {
    expect(() => envOptions(backend.name, ownFlags, { FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS: 'many' })).toThrow(
      new UsageError('FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS expects an integer, got "many"'),
    )
    expect(() => envOptions(backend.name, ownFlags, { FUSEKIT_CLOUD_STORE_READ_ONLY: 'yes' })).toThrow(
      new UsageError('FUSEKIT_CLOUD_STORE_READ_ONLY is a switch: set it to true or false, not "yes"'),
    )
    expect(() => envOptions(backend.name, ownFlags, { FUSEKIT_CLOUD_STORE_TAGS: '[oops' })).toThrow(/FUSEKIT_CLOUD_STORE_TAGS starts with "\[" but is not a JSON array/)
  })

  it('that name no option are reported as warnings', () => {
    expect(layer([], { FUSEKIT_CLOUD_STORE_BUCKETT: 'x', FUSEKIT_CLOUD_STORE_BUCKET: 'b' }).warnings).toEqual([
      'FUSEKIT_CLOUD_STORE_BUCKETT is not an option of backend cloud-store; ignored (see fusekit mount cloud-store --help)',
    ])
  })
})

describe('option layers', () => {
  it('take flags over the environment over the file', () => {
    const named = entry({ bucket: 'from-file', maxConnections: 2, tags: ['file'] })
    expect(layer([], {}, named).backendOptions).toEqual({ bucket: 'from-file', maxConnections: 2, tags: ['file'] })
    expect(layer([], { FUSEKIT_CLOUD_STORE_BUCKET: 'from-env' }, named).backendOptions).toEqual({ bucket: 'from-env', maxConnections: 2, tags: ['file'] })
    expect(layer(['--bucket', 'from-flag'], { FUSEKIT_CLOUD_STORE_BUCKET: 'from-env', FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS: '8' }, named).backendOptions).toEqual({
      bucket: 'from-flag',
      maxConnections: 8,
      tags: ['file'],
    })
  })

  it("give an environment value named like a mount flag to both, as the flag does", () => {
    const layered = layer(['--bucket', 'b'], { FUSEKIT_CLOUD_STORE_READ_ONLY: 'true' })
    expect(layered.backendOptions.readOnly).toBe(true)
    expect(layered.mountOptions.readOnly).toBe(true)
  })

  it("put the command line's mount options over the file's, adding -o lists", () => {
    const named = entry({ bucket: 'b' }, { readOnly: true, attrTimeout: 5, fuseOptions: ['noatime'] })
    expect(layer(['--no-read-only', '-o', 'noexec'], {}, named).mountOptions).toEqual({ readOnly: false, attrTimeout: 5, fuseOptions: ['noatime', 'noexec'] })
  })

  it('name the file and the field, the variable or the flag of a bad value', () => {
    const bad = (args: string[], env: NodeJS.ProcessEnv, named?: NamedMount) => () => layer(args, env, named)
    expect(bad([], {}, entry({ bucket: 7 }))).toThrow(new UsageError(`${FILE}: mounts.photos.options.bucket: Invalid input: expected string, received number`))
    expect(bad([], { FUSEKIT_CLOUD_STORE_BUCKET: 'b', FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS: '0' })).toThrow(
      new UsageError('invalid options for backend cloud-store: FUSEKIT_CLOUD_STORE_MAX_CONNECTIONS: Too small: expected number to be >0 (see fusekit mount cloud-store --help)'),
    )
    expect(bad(['--max-connections', '0'], { FUSEKIT_CLOUD_STORE_BUCKET: 'b' })).toThrow(/^invalid options for backend cloud-store: --max-connections: Too small/)
    expect(bad([], {})).toThrow(/--bucket is required \(or FUSEKIT_CLOUD_STORE_BUCKET in the environment\)/)
  })

  it("refuse an entry's option the backend does not have, and a bad mount option of the file", () => {
    expect(() => layer([], {}, entry({ bucket: 'b', buckets: 'x' }))).toThrow(
      new UsageError(`${FILE}: mounts.photos.options.buckets: not an option of backend cloud-store (its options: bucket, maxConnections, readOnly, tags, secretKey)`),
    )
    expect(() => layer([], {}, entry({ bucket: 'b' }, { kernelCache: true, autoCache: true }))).toThrow(
      new UsageError(`${FILE}: mounts.photos.mountOptions: kernelCache and autoCache exclude each other`),
    )
  })

  it('collect secrets from every source before validating', () => {
    const secrets: string[] = []
    expect(() => layer([], { FUSEKIT_CLOUD_STORE_SECRET_KEY: 'short' }, entry({ bucket: 'b' }), secrets)).toThrow(/FUSEKIT_CLOUD_STORE_SECRET_KEY: Too small/)
    expect(secrets).toEqual(['short'])
    const fromFile: string[] = []
    layer([], {}, entry({ bucket: 'b', secretKey: 'file-secret-1' }), fromFile)
    expect(fromFile).toEqual(['file-secret-1'])
  })
})
