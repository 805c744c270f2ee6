import { execFile, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { cliPath, eventually, runCli, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'
import { mountEntry } from './fixtures/mount-table.js'

const run = promisify(execFile)
let project: string
let configPath: string

const config = {
  mounts: {
    greet: { backend: 'hello', mountpoint: 'mnt', options: { greeting: 'from file', repeat: 2 }, mountOptions: { fsname: 'greeter' } },
    broken: { backend: 'hello', options: { repeat: 'twice' } },
    local: { backend: './node_modules/fusekit-backend-hello/index.js' },
  },
}

beforeAll(async () => {
  project = await realpath(await mkdtemp(join(tmpdir(), 'fusekit-cli-named-')))
  await writeHelloPackage(project)
  await mkdir(join(project, 'mnt'))
  await mkdir(join(project, 'sub'))
  configPath = join(project, 'fusekit.config.json')
  await writeFile(configPath, JSON.stringify(config, null, 2))
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

const withEnv = (vars: Record<string, string>) => ({ ...process.env, ...vars })

async function readThrough(mount: Awaited<ReturnType<typeof startMount>>): Promise<string> {
  try {
    return await readFile(join(mount.dir, 'hello'), 'utf8')
  } finally {
    expect(await mount.stop(), mount.output()).toBe(0)
  }
}

describe('named mounts', () => {
  it("mounts an entry of the config file on its own mountpoint, with its options, and unmounts it", async () => {
    const dir = join(project, 'mnt')
    const child = spawn(process.execPath, [cliPath(), 'mount', 'greet'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      await eventually(() => expect(output).toContain(`fusekit: mounted hello at ${dir}\n`), 30_000)
      expect(await readFile(join(dir, 'hello'), 'utf8')).toBe('from file\nfrom file\n')
      expect((await mountEntry(dir))?.source).toBe('greeter')
      child.kill('SIGTERM')
      expect(await exited, output).toBe(0)
      expect(await mountEntry(dir)).toBeUndefined()
    } finally {
      child.kill('SIGKILL')
      await run('fusermount', ['-uz', dir]).catch(() => undefined)
    }
  })

  it('takes the environment over the file, and the command line over both', async () => {
    const env = withEnv({ FUSEKIT_HELLO_GREETING: 'from env' })
    expect(await readThrough(await startMount({ backend: 'greet', cwd: project, env }))).toBe('from env\nfrom env\n')
    expect(await readThrough(await startMount({ backend: 'greet', cwd: project, env, args: ['--greeting', 'from flag', '--repeat', '1'] }))).toBe('from flag\n')
  })

  it('names the file, the entry and the field of a bad value, and exits 2', async () => {
    const result = await runCli(['mount', 'broken', join(project, 'mnt')], { cwd: project })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toBe(`fusekit: error: ${configPath}: mounts.broken.options.repeat: Invalid input: expected number, received string\n`)
  })

  it('names the variable of a bad value from the environment', async () => {
    const result = await runCli(['mount', 'greet'], { cwd: project, env: withEnv({ FUSEKIT_HELLO_REPEAT: 'twice' }) })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toBe('fusekit: error: FUSEKIT_HELLO_REPEAT expects an integer, got "twice"\n')
  })

  it('masks a secret given in the environment', async () => {
    const mount = await startMount({ backend: 'greet', cwd: project, env: withEnv({ FUSEKIT_HELLO_TOKEN: 'tok-0123456789' }) })
    expect(await mount.stop(), mount.output()).toBe(0)
    expect(mount.output()).toContain('fusekit info: using token ***')
    expect(mount.output()).not.toContain('tok-0123456789')
  })

  it('reads the file given with --config, with backend paths relative to it', async () => {
    const result = await runCli(['mount', 'local', '--config', '../fusekit.config.json', '--help'], { cwd: join(project, 'sub') })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain(`Named mount local of ${configPath}: backend ${join(project, 'node_modules/fusekit-backend-hello/index.js')}\n`)
    expect(result.stdout).toContain('Serves one file, /hello, holding a greeting')
  })

  it('finds the config file in $XDG_CONFIG_HOME/fusekit when the working directory has none', async () => {
    const xdg = join(project, 'xdg')
    await mkdir(join(xdg, 'fusekit'), { recursive: true })
    await writeFile(join(xdg, 'fusekit', 'fusekit.config.yaml'), `mounts:\n  yaml-greet:\n    backend: ${join(project, 'node_modules/fusekit-backend-hello')}\n    options:\n      greeting: from yaml\n`)
    const mount = await startMount({ backend: 'yaml-greet', cwd: join(project, 'sub'), env: withEnv({ XDG_CONFIG_HOME: xdg }) })
    expect(await readThrough(mount)).toBe('from yaml\n')
  })

  it('says which named mounts exist when a name is neither one nor a backend', async () => {
    const result = await runCli(['mount', 'greeet'], { cwd: project })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toMatch(/^fusekit: error: unknown backend "greeet": .*; nor is it a named mount of \S+fusekit\.config\.json \(it has: greet, broken, local\)\n$/)
  })

  it('never reads the config file for a built-in backend name', async () => {
    const dir = join(project, 'broken-config')
    await mkdir(dir)
    await writeFile(join(dir, 'fusekit.config.json'), '{ "mounts": ')
    const result = await runCli(['mount', 'memory', '--help'], { cwd: dir })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('Usage: fusekit mount memory <mountpoint> [options]')
    const named = await runCli(['mount', 'hello', '--help'], { cwd: dir })
    expect(named.code).toBe(2)
    expect(named.stderr).toMatch(new RegExp(`^fusekit: error: ${dir}/fusekit\\.config\\.json: .* at line 1, column \\d+:\\n$`))
  })

  it('documents the environment variables and the config file in --help', async () => {
    const backendHelp = await runCli(['mount', 'hello', '--help'], { cwd: project })
    expect(backendHelp.stdout).toContain('Each option of hello can also be set in the environment as FUSEKIT_HELLO_<OPTION> (e.g. FUSEKIT_HELLO_GREETING);')
    expect(backendHelp.stdout).toMatch(/--config <file> +Config file of named mounts/)
    const general = await runCli(['mount', '--help'], { cwd: project })
    expect(general.stdout).toContain(`Named mounts in ${configPath}: greet, broken, local`)
    expect(general.stdout).toContain('FUSEKIT_<BACKEND>_<OPTION>')
  })
})
