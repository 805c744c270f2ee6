import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { installCommand, isGlobalInstall } from '../src/backends/install-hint.js'
import { cliPackageDir } from '../src/backends/packages.js'

let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fusekit-install-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A CLI package at `<base>/node_modules/@fusekit/cli` with its bin linked from `binDir/fusekit`. */
async function cliInstall(modules: string, binDir: string): Promise<string> {
  const dir = join(modules, '@fusekit/cli')
  await mkdir(join(dir, 'dist'), { recursive: true })
  await writeFile(join(dir, 'dist/bin.js'), '')
  await mkdir(binDir, { recursive: true })
  await symlink(join(dir, 'dist/bin.js'), join(binDir, 'fusekit'))
  return dir
}

describe('install command for a missing backend', () => {
  it('is npm install -g when fusekit was installed globally (npm install -g --prefix <prefix>)', async () => {
    const prefix = join(root, 'prefix')
    const cli = await cliInstall(join(prefix, 'lib/node_modules'), join(prefix, 'bin'))
    expect(isGlobalInstall(cli)).toBe(true)
    expect(installCommand('@acme/fusekit-backend-x', cli)).toBe('npm install -g @acme/fusekit-backend-x')
  })

  it("is npm install in a project, even one whose path has lib/ in it", async () => {
    const project = join(root, 'home/lib')
    const cli = await cliInstall(join(project, 'node_modules'), join(project, 'node_modules/.bin'))
    expect(isGlobalInstall(cli)).toBe(false)
    expect(installCommand('fusekit-backend-x', cli)).toBe('npm install fusekit-backend-x')
  })

  it('is npm install for this workspace', () => {
    expect(isGlobalInstall(cliPackageDir)).toBe(false)
  })
})
