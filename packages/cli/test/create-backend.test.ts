import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stripVTControlCharacters } from 'node:util'
import { runCli, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { linkWorkspacePackages } from './fixtures/workspace-links.js'

let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fusekit-create-backend-'))
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

/** A command in `cwd` with the caller's environment minus this vitest run's own markers. */
function runIn(cwd: string, command: string, args: string[], timeoutMs = 900_000): Promise<{ code: number | null; output: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'FUSEKIT_TEST_RESULTS' && key !== 'NODE_OPTIONS'))
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text))
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

describe('fusekit create-backend refuses', () => {
  it.each([
    [['create-backend'], /missing name/],
    [['create-backend', 'Bad_Name'], /"Bad_Name" is not a backend name/],
    [['create-backend', '9lives'], /"9lives" is not a backend name/],
    [['create-backend', 'memory'], /"memory" is a built-in backend's name/],
    [['create-backend', 'ok', '--layer', 'tree'], /--layer expects path or inode, got "tree"/],
  ])('%j with one line and exit 2', async (args, message) => {
    const result = await runCli(args, { cwd: work })
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('an existing directory that is not empty, writing nothing into it', async () => {
    const taken = join(work, 'taken')
    await mkdir(taken)
    await writeFile(join(taken, 'mine.txt'), 'keep')
    const result = await runCli(['create-backend', 'demo', '--dir', taken], { cwd: work })
    expect([result.code, result.stderr.trim()]).toEqual([2, `fusekit: error: ${taken} exists and is not empty: choose another --dir`])
    expect(existsSync(join(taken, 'package.json'))).toBe(false)
  })
})

const layers = [
  { layer: 'path', name: 'scratch', sources: ['src/index.ts', 'src/memory-tree.ts', 'src/node.ts'] },
  { layer: 'inode', name: 'dirview', sources: ['src/index.ts', 'src/snapshot-view.ts', 'src/source-tree.ts'] },
] as const

describe.each(layers)('a generated $layer-layer package', ({ layer, name, sources }) => {
  let dir: string
  let shown: string

  beforeAll(async () => {
    const created = await runCli(['create-backend', name, '--layer', layer], { cwd: work })
    expect(created.code, created.stderr).toBe(0)
    dir = join(work, `fusekit-backend-${name}`)
    await linkWorkspacePackages(dir)
    shown = join(work, `${name}-shown`)
    await mkdir(shown)
    await writeFile(join(shown, 'hello.txt'), 'shown by the view\n')
  })

  it('has a publishable package.json, a tsconfig, sources, a README and a test using the kit', async () => {
    for (const file of ['package.json', 'tsconfig.json', 'README.md', '.gitignore', 'vitest.config.ts', 'test/backend.test.ts', ...sources]) {
      expect(existsSync(join(dir, file)), file).toBe(true)
    }
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
    expect(manifest).toMatchObject({
      name: `fusekit-backend-${name}`,
      type: 'module',
      exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      files: ['dist'],
      scripts: { build: 'tsc', test: 'tsc && vitest run', prepack: 'tsc' },
    })
    expect(manifest.keywords).toContain('fusekit-backend')
    expect(Object.keys(manifest.peerDependencies)).toEqual(['@fusekit/core', 'zod'])
    expect(Object.keys(manifest.devDependencies)).toEqual(expect.arrayContaining(['@fusekit/testkit', '@fusekit/cli', 'vitest', 'typescript']))
    const test = await readFile(join(dir, 'test/backend.test.ts'), 'utf8')
    expect(test).toContain('describeBackendInProcess(backend, {')
    expect(test).toContain("describeBackend(backend, { module: new URL('../dist/index.js', import.meta.url),")
  })

  it('builds and passes its own tests as generated: the in-process tier and a real mount', async () => {
    const { code, output } = await runIn(dir, 'npm', ['test'])
    expect(code, output.slice(-6000)).toBe(0)
    const summary = /Tests\s+(?:\S+ )*?(\d+) passed/.exec(stripVTControlCharacters(output))
    // Both tiers ran: more passed than the in-process tier alone has cases.
    expect(Number(summary?.[1])).toBeGreaterThan(layer === 'path' ? 60 : 12)
    expect(output).not.toMatch(/\d+ failed/)
  }, 900_000)

  it('packs with npm pack: the built module, its types, README and package.json; no sources or tests', async () => {
    const { code, output } = await runIn(dir, 'npm', ['pack', '--dry-run', '--json', '--ignore-scripts'])
    expect(code, output).toBe(0)
    const [packed] = JSON.parse(output.slice(output.indexOf('['))) as Array<{ name: string; files: Array<{ path: string }> }>
    const files = packed!.files.map((f) => f.path)
    expect(packed!.name).toBe(`fusekit-backend-${name}`)
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']))
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('node_modules/'))).toEqual([])
  })

  const options = () => (layer === 'path' ? ['--greeting', 'hi from the test'] : ['--source', shown])
  const [file, content] = layer === 'path' ? ['README.txt', 'hi from the test\n'] : ['hello.txt', 'shown by the view\n']

  it('mounts by path', async () => {
    const mount = await startMount({ backend: dir, args: options() })
    try {
      expect(await readFile(join(mount.dir, file), 'utf8')).toBe(content)
    } finally {
      expect(await mount.stop(), mount.output()).toBe(0)
    }
  })

  it('mounts by name from a project that has it in node_modules', async () => {
    const project = join(work, `project-${name}`)
    await mkdir(join(project, 'node_modules'), { recursive: true })
    await symlink(dir, join(project, 'node_modules', `fusekit-backend-${name}`))
    const listed = await runCli(['backends'], { cwd: project })
    expect(listed.stdout).toContain(name)
    const mount = await startMount({ backend: name, args: options(), cwd: project })
    try {
      expect(await readFile(join(mount.dir, file), 'utf8')).toBe(content)
    } finally {
      expect(await mount.stop(), mount.output()).toBe(0)
    }
  })
})
