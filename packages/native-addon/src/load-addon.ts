import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { addonFiles } from './addon-files.js'
import { packageName } from './package-name.js'

// Like require() for .node files: a second dlopen of one addon in a process would register nothing.
const loaded = new Map<string, unknown>()

/**
 * Loads addon `name` of the package whose root is `packageRoot`: its prebuilt file for this
 * platform (prebuilds/<platform>-<arch>/<name>.node), else node-gyp's build/Release/<name>.node.
 * `flags` are dlopen's (RTLD_GLOBAL for an addon whose symbols other libraries must see). Throws
 * one line naming what was tried and how to build the addon from source. By default every symbol
 * is resolved at load (RTLD_NOW), so that a broken or foreign build fails here, not at its first call.
 */
export function loadAddon<T>(packageRoot: string | URL, name: string, flags: number = constants.dlopen.RTLD_NOW): T {
  const dir = resolve(packageRoot instanceof URL ? fileURLToPath(packageRoot) : packageRoot)
  const tried: string[] = []
  for (const file of addonFiles(dir, name)) {
    if (loaded.has(file)) return loaded.get(file) as T
    if (!existsSync(file)) {
      tried.push(`${relative(dir, file)}: missing`)
      continue
    }
    const module = { exports: {} }
    try {
      process.dlopen(module, file, flags)
      loaded.set(file, module.exports)
      return module.exports as T
    } catch (error) {
      tried.push(`${relative(dir, file)}: ${firstLine(error)}`)
    }
  }
  throw new Error(
    `${packageName(dir)}: native addon ${name} does not load (${tried.join('; ')}): build it from source with ` +
      `\`npx node-gyp rebuild\` in ${dir} (needs python3, make and a C compiler), or in a fusekit checkout run pnpm build`,
  )
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim()
}
