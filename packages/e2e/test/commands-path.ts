import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'

/** C and C++ compilers, their drivers and make, also as <triplet>-gcc-14 and the like. */
export const COMPILERS = /(^|-)(cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|tcc|make|gmake)(-[\d.]+)?$/
/** C++ compilers alone. */
export const CXX_COMPILERS = /(^|-)(c\+\+|g\+\+|clang\+\+)(-[\d.]+)?$/

/**
 * A directory of links to every command on this process's PATH (and in Node's own directory)
 * except those whose name matches `leftOut`: as PATH, a machine without them.
 */
export function pathWithout(dir: string, leftOut: RegExp): string {
  mkdirSync(dir, { recursive: true })
  const linked = new Set<string>()
  for (const source of [dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)]) {
    if (!source || !existsSync(source)) continue
    for (const name of readdirSync(source)) {
      if (linked.has(name) || leftOut.test(name)) continue
      linked.add(name)
      symlinkSync(join(source, name), join(dir, name))
    }
  }
  return dir
}
