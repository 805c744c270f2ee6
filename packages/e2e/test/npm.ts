import { dirname, resolve } from 'node:path'
import { run } from './run.js'

// What npm may take from this environment: where to cache and how to reach the registry (a
// --prefix install reads no global npmrc, so certificate authorities must come from here). Nothing
// of the pnpm, turbo and vitest running these tests (npm_config_*, npm_execpath, ...). Every
// install shares the one cache in $HOME: each package is downloaded once.
const KEPT = /^(HOME|USER|LANG|TMPDIR|(https?|no)_proxy|NPM_CONFIG_REGISTRY|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR)$/i

/** An environment with only what npm needs, and `path` as PATH. */
export function cleanEnv(path: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: path }
  for (const [name, value] of Object.entries(process.env)) if (KEPT.test(name)) env[name] = value
  return env
}

/** Node's installation prefix: its headers, for node-gyp, are under include/node. */
export const NODE_PREFIX = resolve(dirname(process.execPath), '..')

// Killed past this, before the tests' own timeouts (vitest.config.ts) leave it running.
const NPM_TIMEOUT_MS = 480_000

/**
 * Runs npm with `args` in `cwd` (through `via` when given) and resolves with its stdout; rejects
 * with npm's output when it fails.
 */
export async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv, via?: readonly string[]): Promise<string> {
  const result = await run('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], { cwd, env, via, timeoutMs: NPM_TIMEOUT_MS })
  if (result.code !== 0) throw new Error(`npm ${args.join(' ')} failed (${result.code ?? 'killed'}) in ${cwd}\n${result.stdout}${result.stderr}`)
  return result.stdout
}
