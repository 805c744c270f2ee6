import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { cliPackageDir } from './packages.js'

/**
 * The command that installs a backend package where this fusekit finds it: `npm install -g` when
 * fusekit itself was installed globally, else `npm install` (run in the project).
 */
export function installCommand(packageName: string, cliDir: string = cliPackageDir): string {
  return `npm install${isGlobalInstall(cliDir) ? ' -g' : ''} ${packageName}`
}

/**
 * npm installs a global package at <prefix>/lib/node_modules/<name> and links its bins from
 * <prefix>/bin; a project's copy is linked from node_modules/.bin instead. So the CLI is global
 * when <prefix>/bin/fusekit leads into its own directory.
 */
export function isGlobalInstall(cliDir: string): boolean {
  const real = realpathOrUndefined(cliDir)
  const match = real === undefined ? null : /^(.*)\/lib\/node_modules\/@fusekit\/cli$/.exec(real)
  if (!match) return false
  const bin = realpathOrUndefined(join(match[1] || '/', 'bin', 'fusekit'))
  return bin !== undefined && bin.startsWith(real + '/')
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}
