import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, startMount } from '@fusekit/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeHelloPackage } from './fixtures/hello-package.js'

let project: string
let helloDir: string

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fusekit-cli-resolve-'))
  helloDir = await writeHelloPackage(project)
  await writeHelloPackage(project, '@acme/fusekit-backend-hello')
  await mkdir(join(project, 'lib'))
  await writeFile(join(project, 'lib/not-a-backend.mjs'), 'export default { name: "x" }\n')
  await writeFile(join(project, 'lib/broken.mjs'), 'throw new Error("backend module exploded")\n')
  await mkdir(join(project, 'sub/dir'), { recursive: true })
})

afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

async function mountAndRead(backend: string, cwd: string): Promise<string> {
  const mount = await startMount({ backend, cwd, args: ['--greeting', backend] })
  try {
    return await readFile(join(mount.dir, 'hello'), 'utf8')
  } finally {
    expect(await mount.stop(), mount.output()).toBe(0)
  }
}

describe('backend resolution', () => {
  it('finds fusekit-backend-<name> by its short name from the working directory', async () => {
    expect(await mountAndRead('hello', project)).toBe('hello\n')
  })

  it('searches node_modules of parent directories too', async () => {
    expect(await mountAndRead('hello', join(project, 'sub/dir'))).toBe('hello\n')
  })

  it('accepts the full package name', async () => {
    expect(await mountAndRead('fusekit-backend-hello', project)).toBe('fusekit-backend-hello\n')
  })

  it('finds @scope/fusekit-backend-<name> given as @scope/<name> or in full', async () => {
    expect(await mountAndRead('@acme/hello', project)).toBe('@acme/hello\n')
    expect(await mountAndRead('@acme/fusekit-backend-hello', project)).toBe('@acme/fusekit-backend-hello\n')
  })

  it('loads a backend module or package directory by path', async () => {
    expect(await mountAndRead('./node_modules/fusekit-backend-hello/index.js', project)).toBe('./node_modules/fusekit-backend-hello/index.js\n')
    expect(await mountAndRead(join(helloDir, 'index.js'), tmpdir())).toBe(`${join(helloDir, 'index.js')}\n`)
    expect(await mountAndRead(helloDir, tmpdir())).toBe(`${helloDir}\n`)
  })

  it('lists scoped packages in fusekit backends', async () => {
    const result = await runCli(['backends'], { cwd: project })
    expect(result.stdout).toMatch(/^@acme\/hello +@acme\/fusekit-backend-hello +1\.2\.3 +path +loads$/m)
  })

  it('says which path does not exist', async () => {
    const result = await runCli(['mount', './lib/nothing.js', project], { cwd: project })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toBe(`fusekit: error: backend module ${project}/lib/nothing.js does not exist\n`)
  })

  it('refuses a module whose default export is not a backend', async () => {
    const result = await runCli(['mount', './lib/not-a-backend.mjs', project], { cwd: project })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe(
      `fusekit: error: cannot load backend ${project}/lib/not-a-backend.mjs: its default export is not a fusekit backend: no apiVersion, no create(), no options schema (export default defineBackend({...}) from @fusekit/core)\n`,
    )
  })

  it('reports a module that fails to load in one line', async () => {
    const result = await runCli(['mount', './lib/broken.mjs', project], { cwd: project })
    expect(result.code, result.stderr).toBe(1)
    expect(result.stderr).toBe(`fusekit: error: cannot load backend ${project}/lib/broken.mjs: backend module exploded\n`)
  })

  it("takes a name like an object's inherited property for a package name", async () => {
    const result = await runCli(['mount', 'constructor', project], { cwd: project })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toMatch(/^fusekit: error: unknown backend "constructor": package fusekit-backend-constructor is not installed /)
  })

  it('refuses a name that cannot be a package', async () => {
    const result = await runCli(['mount', 'Hello World', project], { cwd: project })
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toBe('fusekit: error: "Hello World" is not a backend name, package name or path\n')
  })

  it('finds the built-in memory backend from any directory', async () => {
    const mount = await startMount({ backend: 'memory', cwd: tmpdir() })
    try {
      await writeFile(join(mount.dir, 'note.txt'), 'kept in RAM')
      expect(await readFile(join(mount.dir, 'note.txt'), 'utf8')).toBe('kept in RAM')
    } finally {
      expect(await mount.stop(), mount.output()).toBe(0)
    }
  })
})
