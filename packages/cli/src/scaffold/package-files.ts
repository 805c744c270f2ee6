import { inodeLayerSources } from './inode-layer.js'
import { pathLayerSources } from './path-layer.js'

export type Layer = 'path' | 'inode'

/** Version ranges the generated package asks for. */
export interface ScaffoldVersions {
  /** Of @fusekit/core, @fusekit/testkit and @fusekit/cli: this CLI's own. */
  fusekit: string
  zod: string
}

/** The development tools a generated package uses; the kit needs vitest 4. */
const TOOLS = { '@types/node': '^20.19.0', typescript: '^5.9.3', vitest: '^4.1.12' }

/** What each layer's backend can do, as the kit's capabilities: the kit skips, saying why, what needs more. */
const CAPABILITIES: Record<Layer, string[]> = {
  path: ['writable', 'callerIdentity', 'chown', 'symlinks', 'unlinkedOpenFiles', 'execute', 'subsecondTimes', 'nanosecondTimes'],
  inode: ['symlinks', 'hardlinks', 'coherentLinks', 'execute', 'subsecondTimes', 'nanosecondTimes'],
}

/** Every file of a new backend package `fusekit-backend-<name>`, by relative path. */
export function scaffoldFiles(name: string, layer: Layer, versions: ScaffoldVersions): Record<string, string> {
  const packageName = `fusekit-backend-${name}`
  const manifest = {
    name: packageName,
    version: '0.1.0',
    description: layer === 'path' ? `fusekit backend: a read-write tree held in memory (fusekit mount ${name})` : `fusekit backend: a read-only view of a directory (fusekit mount ${name})`,
    keywords: ['fusekit-backend', 'fusekit', 'fuse', 'filesystem'],
    license: 'MIT',
    type: 'module',
    engines: { node: '>=20.19' },
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    files: ['dist'],
    scripts: {
      build: 'tsc',
      // The mount tier loads the built module (dist/), as fusekit mount will.
      test: 'tsc && vitest run',
      prepack: 'tsc',
    },
    peerDependencies: { '@fusekit/core': versions.fusekit, zod: versions.zod },
    devDependencies: {
      '@fusekit/cli': versions.fusekit,
      '@fusekit/core': versions.fusekit,
      '@fusekit/testkit': versions.fusekit,
      ...TOOLS,
      zod: versions.zod,
    },
  }
  return {
    'package.json': JSON.stringify(manifest, null, 2) + '\n',
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'],
        strict: true, declaration: true, sourceMap: true, outDir: 'dist', rootDir: 'src', skipLibCheck: true, verbatimModuleSyntax: true,
      },
      include: ['src'],
    }, null, 2) + '\n',
    'vitest.config.ts': `import { defineConfig } from 'vitest/config'

export default defineConfig({
  // Mounting, and shell tools over a mount, take seconds rather than milliseconds.
  test: { testTimeout: 120_000, hookTimeout: 120_000 },
})
`,
    '.gitignore': 'node_modules/\ndist/\n',
    'test/backend.test.ts': testFile(name, layer),
    'README.md': readme(name, layer, packageName),
    ...(layer === 'path' ? pathLayerSources(name) : inodeLayerSources(name)),
  }
}

function testFile(name: string, layer: Layer): string {
  const capabilities = CAPABILITIES[layer].map((c) => `'${c}'`).join(', ')
  const setup = layer === 'path'
    ? ''
    : `
// The view shows a directory holding the kit's sample tree, which the read-only cases expect.
let source = ''
const options = async () => {
  source = await mkdtemp(join(tmpdir(), 'fusekit-backend-${name}-'))
  await writeSampleTree(source)
  return { source }
}
const teardown = () => rm(source, { recursive: true, force: true })
`
  const imports = layer === 'path'
    ? `import { describeBackend, describeBackendInProcess, type Capability } from '@fusekit/testkit'`
    : `import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describeBackend, describeBackendInProcess, writeSampleTree, type Capability } from '@fusekit/testkit'`
  const extra = layer === 'path' ? '' : ' options, teardown,'
  return `${imports}
import backend from '../src/index.js'

// What this backend can do; the kit skips, saying why, the cases that need more. Claim more as
// you add operations (docs: capabilityDocs in @fusekit/testkit).
const capabilities: Capability[] = [${capabilities}]
${setup}
// Fast: the contract cases on the backend's own operations, without the kernel.
describeBackendInProcess(backend, {${extra} capabilities })

// Real: \`fusekit mount\` of the built module in a child process, driven with real syscalls from
// other processes (as root: some cases act as other users).
describeBackend(backend, { module: new URL('../dist/index.js', import.meta.url),${extra} capabilities })
`
}

function readme(name: string, layer: Layer, packageName: string): string {
  const what = layer === 'path'
    ? `A read-write tree held in memory, gone at unmount: a fusekit backend on the path layer (each request names a path).`
    : `A read-only view of a directory as it was at mount time: a fusekit backend on the inode layer (node ids of its own; hard links stay one node; reads go to the source files).`
  const mount = layer === 'path' ? `fusekit mount ${name} ./mnt --greeting hi` : `fusekit mount ${name} ./mnt --source /some/dir`
  return `# ${packageName}

${what}

    npm install -g @fusekit/cli ${packageName}
    ${mount}    # Ctrl-C unmounts
    fusekit mount ${name} --help    # its options, from the zod schema in src/index.ts

## Developing

    npm install
    npm run build
    npm test          # the kit: contract cases in process, then POSIX cases through a real mount (as root)

\`src/index.ts\` is the descriptor (name, options, layer); the operations are in ${layer === 'path' ? '`src/memory-tree.ts` (over the nodes of `src/node.ts`)' : '`src/snapshot-view.ts` (over the tree `src/source-tree.ts` reads)'}.
\`test/backend.test.ts\` lists the backend's capabilities: claim one when you implement what it
needs, and the kit runs the cases that check it. See fusekit's docs/writing-a-backend.md.

## Publishing

The package name \`${packageName}\` is how \`fusekit mount ${name}\` and \`fusekit backends\` find
it; the keyword \`fusekit-backend\` is how people find it on npm. \`@fusekit/core\` and \`zod\`
are peer dependencies: the backend runs on the CLI's copies. \`npm publish\` builds \`dist/\`
first (\`prepack\`).
`
}
