import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'

// C compilers, their drivers and make, also as <triplet>-gcc-14 and the like: what node-gyp needs.
const COMPILER = /(^|-)(cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|tcc|make|gmake)(-[\d.]+)?$/

/**
 * A directory of links to every command on this process's PATH (and Node's own directory) except
 * the compilers: as PATH, a machine with Node but nothing to build native code with.
 */
export function compilerFreePath(dir: string): string {
  mkdirSync(dir, { recursive: true })
  const seen = new Set<string>()
  for (const source of [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)]) {
    if (!source || !existsSync(source)) continue
    for (const name of readdirSync(source)) {
      if (seen.has(name) || COMPILER.test(name)) continue
      seen.add(name)
      symlinkSync(join(source, name), join(dir, name))
    }
  }
  const found = spawnSync('sh', ['-c', 'command -v gcc cc c++ g++ clang make'], { env: { PATH: dir }, encoding: 'utf8' }).stdout.trim()
  if (found) throw new Error(`compilers still on the compiler-free PATH: ${found}`)
  return dir
}
