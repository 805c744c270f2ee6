import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'

let project: string

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fusekit-cli-usage-'))
  await writeHelloPackage(project)
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

/** Runs the CLI, expects the usage-error exit code 2, and gives its stderr. */
async function usageError(args: string[], options?: Parameters<typeof runCli>[1]): Promise<string> {
  const result = await runCli(args, options)
  expect(result.code, result.stderr).toBe(2)
  return result.stderr
}

describe('fusekit usage', () => {
  it('prints usage with --help and exits 0', async () => {
    const result = await runCli(['--help'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/^Usage: fusekit <command>/)
    expect(result.stdout).toContain('mount <backend> <mountpoint>')
    expect(result.stdout).toContain('unmount [--abort] <mountpoint>')
    expect(result.stdout).toContain('backends')
  })

  it('prints usage on stderr and exits 2 without a command', async () => {
    const stderr = await usageError([])
    expect(stderr).toContain('Usage: fusekit <command>')
  })

  it('prints the version of every fusekit package, one per line, the CLI first', async () => {
    const result = await runCli(['--version'])
    expect(result.code, result.stderr).toBe(0)
    const packages = ['cli', 'core', 'native-addon', 'backend-memory', 'backend-passthrough', 'backend-s3', 'testkit']
    const manifests = packages.map((dir) => JSON.parse(readFileSync(new URL(`../../${dir}/package.json`, import.meta.url), 'utf8')) as { name: string; version: string })
    expect(result.stdout).toBe(manifests.map(({ name, version }) => `${name} ${version}\n`).join(''))
  })

  it('rejects an unknown command with exit 2', async () => {
    const stderr = await usageError(['mnt', 'memory'])
    expect(stderr).toBe('fusekit: error: unknown command "mnt"; commands: mount, unmount, backends, create-backend (see fusekit --help)\n')
  })

  it('names the install command and the installed backends when the backend is unknown', async () => {
    const stderr = await usageError(['mount', 'nosuch', project], { cwd: project })
    expect(stderr).toBe(
      'fusekit: error: unknown backend "nosuch": package fusekit-backend-nosuch is not installed here or next to fusekit; ' +
        'install it with `npm install fusekit-backend-nosuch` (installed backends: memory, passthrough, s3, hello)\n',
    )
  })

  it('asks for the backend and the mountpoint', async () => {
    const noBackend = await usageError(['mount'])
    expect(noBackend).toContain('fusekit: error: missing backend')
    const noMountpoint = await usageError(['mount', 'hello'], { cwd: project })
    expect(noMountpoint).toContain('fusekit: error: missing mountpoint (usage: fusekit mount hello <mountpoint> [options])')
    const optionFirst = await usageError(['mount', '--debug', 'hello', project], { cwd: project })
    expect(optionFirst).toContain('the backend comes first')
  })

  it('lists the valid options when given an unknown one', async () => {
    const stderr = await usageError(['mount', 'hello', project, '--colour', 'red'], { cwd: project })
    expect(stderr).toContain('fusekit: error: unknown option --colour; valid options: --greeting, --repeat, --shout, --start-delay, --stall-unmount, --token, --read-only')
    expect(stderr).toContain('(see fusekit mount hello --help)')
  })

  it('checks option values against the backend schema, by flag name', async () => {
    const notNumber = await usageError(['mount', 'hello', project, '--repeat', 'twice'], { cwd: project })
    expect(notNumber).toBe('fusekit: error: --repeat expects an integer, got "twice"\n')
    const negative = await usageError(['mount', 'hello', project, '--repeat', '-3'], { cwd: project })
    expect(negative).toMatch(/^fusekit: error: invalid options for backend hello: --repeat: Too small/)
    const missingValue = await usageError(['mount', 'hello', project, '--greeting'], { cwd: project })
    expect(missingValue).toContain('--greeting needs a value')
  })

  it('checks mount option values', async () => {
    const stderr = await usageError(['mount', 'hello', project, '--attr-timeout', 'soon'], { cwd: project })
    expect(stderr).toBe('fusekit: error: --attr-timeout expects a number of seconds, got "soon"\n')
    const hot = await usageError(['mount', 'hello', project, '--hot-loop-ms', '-1'], { cwd: project })
    expect(hot).toContain('hotLoopMs must be a number >= 0, got -1')
    const raw = await usageError(['mount', 'hello', project, '-o', 'bad option'], { cwd: project })
    expect(raw).toContain('"bad option" is not a FUSE option')
  })

  it('never prints a secret option, even when it is invalid', async () => {
    const stderr = await usageError(['mount', 'hello', project, '--token', 'abc123'], { cwd: project })
    expect(stderr).toContain('--token: token *** is too short')
    expect(stderr).not.toContain('abc123')
  })

  it("generates a backend's help from its schema", async () => {
    const result = await runCli(['mount', 'hello', '--help'], { cwd: project })
    expect(result.code, result.stderr).toBe(0)
    const help = result.stdout
    expect(help).toContain('Usage: fusekit mount hello <mountpoint> [options]')
    expect(help).toContain('Serves one file, /hello, holding a greeting')
    expect(help).toContain('Options of hello (fusekit-backend-hello 1.2.3):')
    expect(help).toMatch(/--greeting <string> +Text of \/hello \(default: hello\)/)
    expect(help).toMatch(/--repeat <integer> +How many times the greeting is written \(default: 1\)/)
    expect(help).toMatch(/--shout +Write the greeting in capitals\n/)
    expect(help).toMatch(/--token <string> +Access token \(secret: never printed\)/)
    expect(help).toMatch(/--read-only +Mount read-only/)
    expect(help).toMatch(/-o, --option <opt\[,opt\.\.\.\]> +Raw FUSE mount options/)
    expect(help).toMatch(/--fsname <name> +.*\(default: hello\)/)
  })

  it("lists the memory backend's --size option with its description", async () => {
    const result = await runCli(['mount', 'memory', '--help'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('Usage: fusekit mount memory <mountpoint> [options]')
    const size = result.stdout.split('\n').find((line) => line.trimStart().startsWith('--size '))
    expect(size).toBeDefined()
    expect(size).toMatch(/--size <[^>]+> +\S.*(RAM|capacity|Capacity)/)
  })

  it('rejects an invalid memory --size', async () => {
    const stderr = await usageError(['mount', 'memory', project, '--size', 'banana'])
    expect(stderr).toMatch(/^fusekit: error: .*--size/)
    expect(stderr.trim().split('\n')).toHaveLength(1)
  })

  it('lists installed backends with their package, version, layer and whether they load, as an aligned table', async () => {
    const result = await runCli(['backends'], { cwd: project })
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME +PACKAGE +VERSION +LAYER +STATUS$/)
    expect(lines.find((line) => line.startsWith('memory '))).toMatch(/^memory +@fusekit\/backend-memory +0\.1\.0 +inode +loads$/)
    expect(lines.find((line) => line.startsWith('hello '))).toMatch(/^hello +fusekit-backend-hello +1\.2\.3 +path +loads$/)
    // Aligned: every column starts where the header's does.
    for (const column of ['PACKAGE', 'VERSION', 'LAYER', 'STATUS']) {
      const at = (lines[0] as string).indexOf(column)
      for (const line of lines.slice(1)) expect(line[at - 1]).toBe(' ')
      for (const line of lines.slice(1)) expect(line[at]).not.toBe(' ')
    }
  })

  it('lists installed backends as JSON with --json', async () => {
    const result = await runCli(['backends', '--json'], { cwd: project })
    expect(result.code, result.stderr).toBe(0)
    const hello = (JSON.parse(result.stdout) as Array<Record<string, unknown>>).find((b) => b.name === 'hello')
    expect(hello).toEqual({
      name: 'hello',
      package: 'fusekit-backend-hello',
      version: '1.2.3',
      builtin: false,
      description: 'A greeting backend for tests',
      dir: join(project, 'node_modules/fusekit-backend-hello'),
      layer: 'path',
      loads: true,
      problem: null,
      warning: null,
    })
  })

  it('does not list third-party packages of another directory', async () => {
    const result = await runCli(['backends'], { cwd: tmpdir() })
    expect(result.stdout).not.toMatch(/^hello /m)
  })
})
