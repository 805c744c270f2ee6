#!/usr/bin/env node
// One metadata phase over <count> small files in <dir>, with synchronous fs calls (one syscall
// after another, as a shell tool would), timed inside the process so Node's start-up is not counted.
//   node files.mjs create <dir> <count>   open(O_CREAT|O_EXCL|O_WRONLY) + write 4 KiB + close each
//   node files.mjs stat   <dir> <count>   stat each
//   node files.mjs read   <dir> <count>   open + read + close each
//   node files.mjs unlink <dir> <count>   unlink each
// Prints one JSON line: {"phase":"create","count":10000,"ms":1234.5}
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'

const SIZE = 4096
const [phase, dir, countArg] = process.argv.slice(2)
const count = Number(countArg)
if (!dir || !Number.isInteger(count) || count <= 0) usage()

const data = Buffer.alloc(SIZE, 'fusekit ')
const names = Array.from({ length: count }, (_, i) => join(dir, `f${i}`))

const phases = {
  create(path) {
    const fd = openSync(path, 'wx', 0o644)
    try {
      if (writeSync(fd, data, 0, SIZE, 0) !== SIZE) throw new Error(`${path}: short write`)
    } finally {
      closeSync(fd)
    }
  },
  stat(path) {
    const { size } = statSync(path)
    if (size !== SIZE) throw new Error(`${path}: size ${size}, expected ${SIZE}`)
  },
  read(path) {
    const { length } = readFileSync(path)
    if (length !== SIZE) throw new Error(`${path}: read ${length} bytes, expected ${SIZE}`)
  },
  unlink(path) {
    unlinkSync(path)
  },
}

const run = phases[phase] ?? usage()
const started = process.hrtime.bigint()
for (const path of names) run(path)
const ms = Number(process.hrtime.bigint() - started) / 1e6
process.stdout.write(JSON.stringify({ phase, count, ms }) + '\n')

function usage() {
  process.stderr.write('usage: node files.mjs create|stat|read|unlink <dir> <count>\n')
  process.exit(2)
}
