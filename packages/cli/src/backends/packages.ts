import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface PackageJson {
  name?: string
  version?: string
  description?: string
  main?: string
  exports?: unknown
}

export interface InstalledPackage {
  name: string
  dir: string
  manifest: PackageJson
}

/** Directory of the CLI's own package (dist/.. or src/..). */
export const cliPackageDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** The node_modules directories Node would search from `from`, nearest first. */
export function nodeModulesDirs(from: string): string[] {
  const dirs: string[] = []
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') dirs.push(join(dir, 'node_modules'))
    if (dirname(dir) === dir) return dirs
  }
}

/** Search roots: the working directory first, then the CLI's own location. */
export function searchRoots(cwd: string, order: 'cwd-first' | 'cli-first' = 'cwd-first'): string[] {
  const roots = order === 'cwd-first' ? [cwd, cliPackageDir] : [cliPackageDir, cwd]
  return [...new Set(roots.flatMap(nodeModulesDirs))]
}

export function readManifest(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson
  } catch {
    return undefined
  }
}

/** Finds an installed package by name in the given node_modules directories. */
export function findPackage(name: string, modulesDirs: readonly string[]): InstalledPackage | undefined {
  for (const modules of modulesDirs) {
    const dir = join(modules, name)
    const manifest = readManifest(dir)
    if (manifest) return { name, dir, manifest }
  }
  return undefined
}

/** Package names in one node_modules directory whose unscoped part passes `matches`. */
export function listPackages(modules: string, matches: (unscoped: string) => boolean): string[] {
  const names: string[] = []
  for (const entry of safeReaddir(modules)) {
    if (entry.startsWith('@')) {
      for (const inner of safeReaddir(join(modules, entry))) if (matches(inner)) names.push(`${entry}/${inner}`)
    } else if (matches(entry)) {
      names.push(entry)
    }
  }
  return names.sort()
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

const CONDITIONS = ['node', 'import', 'default']

/** The file an `import` of the package (or of a package directory) loads: exports, then main, then index.js. */
export function packageEntry(dir: string, manifest: PackageJson | undefined): string {
  const target = exportTarget(manifest?.exports) ?? manifest?.main ?? 'index.js'
  const file = resolve(dir, target)
  if (existsSync(file) && statSync(file).isDirectory()) return join(file, 'index.js')
  return file
}

function exportTarget(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports
  if (Array.isArray(exports)) return exports.map(exportTarget).find((t) => t !== undefined)
  if (typeof exports !== 'object' || exports === null) return undefined
  const map = exports as Record<string, unknown>
  if (Object.keys(map).some((key) => key.startsWith('.'))) return exportTarget(map['.'])
  for (const condition of CONDITIONS) if (condition in map) return exportTarget(map[condition])
  return undefined
}
