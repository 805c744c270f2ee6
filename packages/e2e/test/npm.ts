import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

// What npm may take from this environment: where to cache and how to reach the registry (a
// --prefix install reads no global npmrc, so certificate authorities must come from here). Nothing
// of the pnpm, turbo and vitest running these tests (npm_config_*, npm_execpath, ...).
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

/** Runs npm with `args` in `cwd`; rejects with npm's output when it fails. */
export async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], { cwd, env, maxBuffer: 64 << 20, timeout: NPM_TIMEOUT_MS })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}\n${stdout ?? ''}${stderr ?? ''}`, { cause: error })
  }
}
