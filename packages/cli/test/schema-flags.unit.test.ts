import { defineBackend } from '@fusekit/core'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { UsageError } from '../src/errors.js'
import { formatFlags, parseArgs } from '../src/options/flags.js'
import { mountFlags, mountOptionsFrom } from '../src/options/mount-flags.js'
import { backendFlags, backendOptionsFrom, validateBackendOptions } from '../src/options/schema-flags.js'
import { resolveMountOptions } from '@fusekit/core'

const backend = defineBackend({
  apiVersion: 2,
  layer: 'path',
  name: 'sample',
  description: 'a sample',
  options: z.object({
    sizeLimit: z.union([z.number(), z.string()]).optional().describe('Capacity'),
    mode: z.enum(['fast', 'safe']).default('safe').describe('How to work'),
    verbose: z.boolean().default(false),
    cache: z.boolean().default(true),
    ratio: z.number().min(0).max(1).default(0.5),
    retries: z.number().int(),
    tags: z.array(z.string()).optional().describe('Labels'),
    ports: z.array(z.number().int()).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    apiKey: z.string().optional(),
  }),
  secretOptions: ['apiKey'],
  create: () => ({ getattr: async () => ({}) as never }),
})

const flags = backendFlags(backend)
const parse = (args: string[]) => parseArgs(args, flags, 'help')
const options = (args: string[]) => backendOptionsFrom(parse(args).values, flags)

describe('backendFlags', () => {
  it('names flags in kebab-case and derives their kind from the schema', () => {
    expect(flags.map((f) => [f.name, f.takesValue, f.label, f.repeatable])).toEqual([
      ['size-limit', true, 'number|string', false],
      ['mode', true, 'fast|safe', false],
      ['verbose', false, 'boolean', false],
      ['cache', false, 'boolean', false],
      ['ratio', true, 'number', false],
      ['retries', true, 'integer', false],
      ['tags', true, 'string', true],
      ['ports', true, 'integer', true],
      ['headers', true, 'json', false],
      ['api-key', true, 'string', false],
    ])
    expect(flags.find((f) => f.name === 'retries')?.required).toBe(true)
    expect(flags.find((f) => f.name === 'mode')?.required).toBe(false)
    expect(flags.find((f) => f.name === 'api-key')?.secret).toBe(true)
  })

  it('converts values by what the schema accepts', () => {
    expect(options(['--size-limit', '1024', '--mode', 'fast', '--verbose', '--no-cache', '--ratio', '.25', '--retries=3'])).toEqual({
      sizeLimit: 1024,
      mode: 'fast',
      verbose: true,
      cache: false,
      ratio: 0.25,
      retries: 3,
    })
    expect(options(['--size-limit', '64M'])).toEqual({ sizeLimit: '64M' })
    expect(options(['--tags', 'a', '--tags', 'b', '--ports', '80', '--ports', '443'])).toEqual({ tags: ['a', 'b'], ports: [80, 443] })
    expect(options(['--headers', '{"x":"y"}'])).toEqual({ headers: { x: 'y' } })
    expect(options(['--verbose=false'])).toEqual({ verbose: false })
  })

  it('refuses values of the wrong kind, naming the flag', () => {
    expect(() => parse(['--ratio', 'half'])).toThrow(new UsageError('--ratio expects a number, got "half"'))
    expect(() => parse(['--headers', 'x=y'])).toThrow(new UsageError('--headers expects JSON, got "x=y"'))
    expect(() => parse(['--verbose=maybe'])).toThrow(/--verbose is a switch/)
    expect(() => parse(['--no-mode'])).toThrow(/unknown option --no-mode; valid options: --size-limit, --mode/)
  })

  it('reports schema problems by flag name, on one line, and required flags as such', () => {
    expect(() => validateBackendOptions(backend, options(['--ratio', '2', '--mode', 'slow']), flags)).toThrow(
      /^invalid options for backend sample: --mode: Invalid option: expected one of "fast"\|"safe"; --ratio: Too big: expected number to be <=1; --retries is required \(or FUSEKIT_SAMPLE_RETRIES in the environment\) \(see fusekit mount sample --help\)$/,
    )
  })

  it('describes options in help, without secrets or off-by-default switches', () => {
    const help = formatFlags(flags).join('\n')
    expect(help).toMatch(/--size-limit <number\|string> +Capacity$/m)
    expect(help).toMatch(/--mode <fast\|safe> +How to work \(default: safe\)$/m)
    expect(help).toMatch(/--verbose$/m)
    expect(help).toMatch(/--\[no-\]cache +\(default: true\)$/m)
    expect(help).toMatch(/--retries <integer> +\(required\)$/m)
    expect(help).toMatch(/--tags <string> +Labels \(repeatable\)$/m)
    expect(help).toMatch(/--api-key <string> +\(secret: never printed\)$/m)
  })
})

describe('parseArgs', () => {
  it('mixes positionals and options, and stops at --', () => {
    const parsed = parse(['dir', '--verbose', '--', '--mode'])
    expect(parsed.positionals).toEqual(['dir', '--mode'])
    expect(parsed.values.get('verbose')).toBe(true)
  })

  it('takes a value for a flag even when it starts with a dash', () => {
    expect(options(['--size-limit', '-1'])).toEqual({ sizeLimit: -1 })
  })

  it('sees -h and --help anywhere', () => {
    expect(parse(['dir', '-h']).help).toBe(true)
    expect(parse(['--help']).help).toBe(true)
  })
})

describe('mount flags', () => {
  const common = mountFlags(resolveMountOptions())
  const mountOptions = (args: string[]) => mountOptionsFrom(parseArgs(args, common, 'help').values, common)

  it('sets mount options, splitting and accumulating -o', () => {
    expect(mountOptions(['--read-only', '--attr-timeout', '0.5', '-o', 'noatime,nodev', '-onoexec', '--option=ro'])).toEqual({
      readOnly: true,
      attrTimeout: 0.5,
      fuseOptions: ['noatime', 'nodev', 'noexec', 'ro'],
    })
  })

  it('lets one cache mode replace the other unless both are given', () => {
    expect(mountOptions(['--auto-cache'])).toEqual({ autoCache: true, kernelCache: false })
    expect(mountOptions(['--kernel-cache'])).toEqual({ kernelCache: true, autoCache: false })
    expect(mountOptions(['--auto-cache', '--kernel-cache'])).toEqual({ autoCache: true, kernelCache: true })
  })
})
