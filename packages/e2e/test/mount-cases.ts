import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startMount } from '@fusekit/testkit'
import { expect } from 'vitest'
import { e2e } from './e2e-context.js'

/** A writable mount every install makes. */
export interface MountCase {
  /** What the test title calls it. */
  label: string
  backend: string
  /** The flags after the mountpoint, given a fresh empty directory. */
  args: (dir: string) => string[]
  /** Files written through the mount show in that directory. */
  mirrors?: boolean
}

export const MOUNTS: MountCase[] = [
  { label: 'memory', backend: 'memory', args: () => [] },
  // fuse-native, core's optional dependency, is installed where it loads (libfuse 2 is here).
  { label: 'memory --driver fuse-native', backend: 'memory', args: () => ['--driver', 'fuse-native'] },
  { label: 'passthrough', backend: 'passthrough', args: (dir) => ['--source', dir], mirrors: true },
]

/**
 * `fusekit mount <backend> <dir> ...` from an install (`cwd`, `env`): a file and a directory
 * written through the mount read back, and the mount ends cleanly (exit 0) on SIGTERM.
 */
export async function checkMountCase({ backend, args, mirrors }: MountCase, cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = mkdtempSync(join(e2e.work, `${backend}-`))
  const mount = await startMount({ backend, args: args(dir), cwd, env })
  let code: number | null
  try {
    writeFileSync(join(mount.dir, 'hello.txt'), 'written through the mount\n')
    mkdirSync(join(mount.dir, 'sub'))
    expect(readFileSync(join(mount.dir, 'hello.txt'), 'utf8')).toBe('written through the mount\n')
    expect(readdirSync(mount.dir).sort()).toEqual(['hello.txt', 'sub'])
    if (mirrors) expect(readFileSync(join(dir, 'hello.txt'), 'utf8')).toBe('written through the mount\n')
  } finally {
    code = await mount.stop()
  }
  expect(code, mount.output()).toBe(0)
}
