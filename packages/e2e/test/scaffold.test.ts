import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanupMounts, startMount } from '@fusekit/testkit'
import type { JsonTestResults } from 'vitest/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { e2e } from './e2e-context.js'
import { allTarballs, fusekit, installProject, userEnv, type Installed } from './installs.js'
import { cleanEnv, npm } from './npm.js'
import { run, type RunResult } from './run.js'
import { failures, readReport, reportedTests } from './vitest-report.js'

// `fusekit create-backend` run from an installed CLI, as a new author runs it: the package it
// writes gets its dependencies from the packed tarballs (zod, vitest, typescript and @types/node
// from the registry), passes its own tests, packs with npm pack, and, installed from that tarball
// into the project, mounts by name.

interface Scaffold {
  name: string
  layer: 'path' | 'inode'
  /** The backend's flags after the mountpoint, and a file the mount then shows with its content. */
  mount: (dir: string) => { args: string[]; file: string; content: string }
}

const SCAFFOLDS: Scaffold[] = [
  { name: 'hello', layer: 'path', mount: () => ({ args: ['--greeting', 'hi from the e2e test'], file: 'README.txt', content: 'hi from the e2e test\n' }) },
  {
    name: 'hello-inode',
    layer: 'inode',
    mount: (dir) => {
      writeFileSync(join(dir, 'shown.txt'), 'shown by the view\n')
      return { args: ['--source', dir], file: 'shown.txt', content: 'shown by the view\n' }
    },
  },
]

interface Generated {
  /** `npm test` as generated, and its vitest report. */
  tested: RunResult & { report: JsonTestResults }
  /** What `npm pack` made of it. */
  tarball: string
}

let project: Installed
const generated = new Map<string, Promise<Generated>>()

/** create-backend from the project's CLI, then in the package: npm install, npm test, npm pack. */
async function generate({ name, layer }: Scaffold): Promise<Generated> {
  const dir = join(e2e.work, `fusekit-backend-${name}`)
  const created = await fusekit(project, ['create-backend', name, '--layer', layer, '--dir', dir])
  if (created.code !== 0) throw new Error(`fusekit create-backend ${name} --layer ${layer}: ${created.stderr}`)
  const env = cleanEnv(e2e.compilerFree)
  // --no-save: package.json keeps the version ranges it was generated with.
  await npm(['install', '--no-save', ...e2e.packed.filter((pkg) => pkg.name.startsWith('@fusekit/')).map((pkg) => pkg.tarball)], dir, env)
  const reportPath = join(dir, 'report.json')
  const tested = await run('npm', ['test', '--', '--reporter=json', `--outputFile=${reportPath}`], { cwd: dir, env, timeoutMs: 480_000 })
  const packed = await npm(['pack', '--json', '--pack-destination', e2e.work], dir, env)
  const [{ filename }] = JSON.parse(packed.slice(packed.search(/^\[/m))) as [{ filename: string }]
  return { tested: { ...tested, report: readReport(reportPath) }, tarball: join(e2e.work, filename) }
}

beforeAll(async () => {
  project = await installProject(mkdtempSync(join(e2e.work, 'scaffold-project-')), allTarballs())
  for (const scaffold of SCAFFOLDS) {
    const generating = generate(scaffold)
    generating.catch(() => {}) // Reported by the test that awaits it.
    generated.set(scaffold.name, generating)
  }
})

afterAll(() => {
  cleanupMounts()
  delete process.env.FUSEKIT_CLI
})

describe.each(SCAFFOLDS)('fusekit create-backend $name --layer $layer', (scaffold) => {
  it('passes its own tests as generated: the kit in process and through a real mount', async () => {
    const { tested } = await generated.get(scaffold.name)!
    expect(tested.code, `${failures(tested.report)}\n${tested.stdout.slice(-4000)}${tested.stderr.slice(-4000)}`).toBe(0)
    const tests = reportedTests(tested.report)
    // The kit skips, saying why, the cases that need capabilities the generated backend lacks.
    expect(tests.filter((test) => test.status !== 'passed' && !(test.status === 'skipped' && test.title.includes('(skipped: ')))).toEqual([])
    const passedBlocks = new Set(tests.filter((test) => test.status === 'passed').map((test) => test.block))
    expect([...passedBlocks].sort()).toEqual([expect.stringContaining('in process'), expect.stringContaining('through a real mount')])
  }, 600_000)

  it('installed into the project from its npm pack tarball, is listed and mounts by name', async () => {
    const { tarball } = await generated.get(scaffold.name)!
    await npm(['install', tarball], project.cwd, cleanEnv(e2e.compilerFree))
    const listed = await fusekit(project, ['backends'])
    expect(listed.stdout).toMatch(new RegExp(`^${scaffold.name}\\s+fusekit-backend-${scaffold.name}\\s+0\\.1\\.0\\s+${scaffold.layer}\\s+loads$`, 'm'))

    process.env.FUSEKIT_CLI = join(project.bin, 'fusekit')
    const { args, file, content } = scaffold.mount(mkdtempSync(join(e2e.work, `${scaffold.name}-source-`)))
    const mount = await startMount({ backend: scaffold.name, args, cwd: project.cwd, env: userEnv(project) })
    let code: number | null
    try {
      expect(readFileSync(join(mount.dir, file), 'utf8')).toBe(content)
    } finally {
      code = await mount.stop()
    }
    expect(code, mount.output()).toBe(0)
  }, 600_000)
})
