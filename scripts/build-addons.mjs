#!/usr/bin/env node
// The workspace build of a package's native addons, run in the package directory
// (node ../../scripts/build-addons.mjs): each target of its binding.gyp is compiled with gcc
// against the running Node's headers into prebuilds/<platform>-<arch>/<target>.node, the files its
// published package ships. Where no prebuilt addon fits, node-gyp builds the same binding.gyp.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { prebuildDir, readBinding } from '../packages/native-addon/dist/index.js'

const headers = resolve(process.execPath, '../../include/node')
if (!existsSync(join(headers, 'node_api.h'))) {
  fail(`Node's C headers are missing (${headers}/node_api.h); install the headers of your Node.js (Debian: apt-get install libnode-dev, or use an official Node.js build)`)
}
if (spawnSync('gcc', ['--version']).error) fail('gcc is missing: apt-get install gcc')

const { targets } = readBinding(process.cwd())
// binding.gyp lists sources one by one: a C file left out would only show as a symbol missing at load.
const listed = new Set(targets.flatMap((target) => target.sources))
for (const dir of new Set([...listed].map(dirname))) {
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.c'))) {
    if (!listed.has(join(dir, file))) fail(`${join(dir, file)} is in no target of binding.gyp: add it to the sources of the addon it belongs to`)
  }
}

// Each addon is written beside its file and renamed over it: a test or mount loading it meanwhile
// sees the old one or the new one, never none or half of one.
const outDir = prebuildDir(process.cwd())
mkdirSync(outDir, { recursive: true })
const outputs = targets.map((target) => `${target.target_name}.node`)
for (const [i, target] of targets.entries()) {
  const output = join(outDir, outputs[i])
  const partial = `${output}.${process.pid}.partial`
  const gcc = spawnSync('gcc', ['-O2', '-Wall', '-shared', '-fPIC', `-I${headers}`, '-o', partial, ...target.sources, ...(target.libraries ?? [])], { stdio: 'inherit' })
  if (gcc.status !== 0) {
    rmSync(partial, { force: true })
    process.exit(gcc.status ?? 1)
  }
  renameSync(partial, output)
}
// Addons of targets that are gone.
for (const file of readdirSync(outDir)) if (file.endsWith('.node') && !outputs.includes(file)) rmSync(join(outDir, file))

function fail(message) {
  console.error(`build-addons: ${message}`)
  process.exit(1)
}
