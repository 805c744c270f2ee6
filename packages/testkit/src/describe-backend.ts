import type { MountOptions } from '@fusekit/core'
import { describe, it } from 'vitest'
import { backendLabel, mountSpec, resolveOptions, type BackendUnderTest, type OptionsSource } from './backend-under-test.js'
import { capabilityProblems, unmetCapabilities, type Capability } from './cases/index.js'
import { describeCases } from './cases/vitest.js'
import { driverLimits, type Driver } from './drivers.js'
import { backendOptionFlags, mountOptionFlags } from './mount-flags.js'
import { useMount } from './use-mount.js'

export interface DescribeBackendOptions {
  /** The backend's options (schema keys), or a function giving them when the block starts. */
  options?: OptionsSource
  /**
   * What the backend can do (see capabilityDocs). Cases needing more are skipped, saying why;
   * what the driver cannot carry is taken away here (driverLimits).
   */
  capabilities: Iterable<Capability>
  /** Where the CLI loads a descriptor from (its built module); without it, the descriptor's name is mounted. */
  module?: URL | string
  /** The driver to mount with (default lowlevel). */
  driver?: Driver
  /** Mount options (`{ defaultPermissions: false, fuseOptions: ['allow_root'] }`); allowOther comes with otherUsers. */
  mountOptions?: Partial<MountOptions>
  /** Mount as this ordinary user instead of root (through fusermount). */
  user?: () => Promise<{ uid: number; gid: number }> | { uid: number; gid: number }
  /** Runs after the mount stopped, to remove what `options` made. */
  teardown?: () => Promise<void> | void
  /** The mount process's environment (default: this process's): credentials the backend reads there. */
  env?: NodeJS.ProcessEnv
  /**
   * A case the backend cannot run: 'skip' (default: it.skip, with the reason in its title) or
   * 'omit' (fusekit's own suites: `pnpm test` counts a skip as a failure).
   */
  unsupported?: 'skip' | 'omit'
  /** Title of the block (default: the backend's name and the driver). */
  title?: string
}

const notRoot = 'the mount tier runs as root: it creates test users and acts as them (setpriv); run the tests as root'

/**
 * One vitest block that mounts the backend with `fusekit mount` in a child process (once for the
 * block: up in beforeAll, SIGTERM in afterAll, which must unmount cleanly) and runs every POSIX
 * case against the mount with real syscalls from other processes.
 */
export function describeBackend(backend: BackendUnderTest, setup: DescribeBackendOptions): void {
  const driver = setup.driver ?? 'lowlevel'
  const declared = new Set(setup.capabilities)
  const problems = capabilityProblems(declared)
  if (problems.length > 0) throw new Error(`describeBackend(${backendLabel(backend)}): inconsistent capabilities: ${problems.join('; ')}`)
  const capabilities = new Set([...declared].filter((c) => !driverLimits[driver].includes(c)))
  const mountOptions = { ...setup.mountOptions, allowOther: setup.mountOptions?.allowOther ?? (capabilities.has('otherUsers') || undefined) }
  const title = setup.title ?? `${backendLabel(backend)} through a real mount (${driver} driver)`

  describe(title, () => {
    if (process.getuid?.() !== 0) {
      if (setup.unsupported === 'omit') it('runs as root', () => { throw new Error(notRoot) })
      else it.skip(`every POSIX case (skipped: ${notRoot})`, () => {})
      return
    }
    const mount = useMount({
      backend: mountSpec(backend, setup.module),
      args: async () => [...backendOptionFlags(await resolveOptions(setup.options)), `--driver=${driver}`, ...mountOptionFlags(mountOptions)],
      teardown: setup.teardown,
      user: setup.user,
      env: setup.env,
    })
    describeCases('POSIX cases', () => mount().dir, capabilities, {
      unsupported: setup.unsupported,
      explainSkip: (testCase, reason) => {
        const lost = unmetCapabilities(testCase, capabilities).missing.filter((c) => declared.has(c))
        return lost.length > 0 ? `${reason}; the ${driver} driver cannot carry ${lost.join(', ')}` : reason
      },
    })
  })
}
